// What a failed pulumi run means for the person at the terminal: Pulumi's exit codes (CLI >=
// 3.226.1, shared/azure-facts.md) and the messages it prints, mapped to one sentence and a fix.

export interface PulumiFailure {
  kind: "config" | "auth" | "resource" | "policy" | "no-stack" | "locked" | "canceled" | "timeout" | "needs-yes" | "failed";
  message: string;
}

const LOCKED = /currently locked|concurrent update|update is already in progress|conflict.*another update/i;
const PENDING = /pending operations?/i;

export function explainFailure(exitCode: number, stderr: string, stack: string, command: string): PulumiFailure {
  const firstError =
    stderr
      .split("\n")
      .map((l) => l.trim())
      .find((l) => /^error:/i.test(l))
      ?.replace(/^error:\s*/i, "") ?? stderr.trim().split("\n").at(-1) ?? "";
  if (LOCKED.test(stderr))
    return {
      kind: "locked",
      message:
        `stack ${stack} is locked: another update is running, or one was interrupted. ` +
        `If nothing else is running, run \`pulumi cancel --stack ${stack} --yes\`, then \`pulumi refresh --stack ${stack} --yes\`, and run the command again.`,
    };
  if (PENDING.test(stderr))
    return {
      kind: "failed",
      message:
        `a previous update of ${stack} was interrupted and left pending operations. Run \`pulumi refresh --stack ${stack} --yes\` ` +
        "(it asks what to do with each pending create), then run the command again.",
    };
  switch (exitCode) {
    case 2:
      if (/--yes|non-interactive/i.test(stderr))
        return { kind: "needs-yes", message: `pulumi refused to proceed without --yes in non-interactive mode (${firstError})` };
      return { kind: "config", message: `pulumi ${command} refused the configuration of ${stack}: ${firstError}` };
    case 3:
      return {
        kind: "auth",
        message: `not authorised: ${firstError}. Log in to Azure (\`az login\`) and to the state backend (\`pulumi login\`), then run again.`,
      };
    case 4:
      return { kind: "resource", message: `an Azure resource operation failed during pulumi ${command}: ${firstError}` };
    case 5:
      return { kind: "policy", message: `a policy blocked the change: ${firstError}` };
    case 6:
      return { kind: "no-stack", message: `stack ${stack} does not exist in the state backend: ${firstError}` };
    case 8:
      return { kind: "canceled", message: `pulumi ${command} was canceled; run \`manage status --stack ${stack}\` to see where it stopped` };
    case 9:
      return { kind: "timeout", message: `pulumi ${command} timed out: ${firstError}` };
    default:
      return { kind: "failed", message: `pulumi ${command} failed (exit ${exitCode}): ${firstError}` };
  }
}
