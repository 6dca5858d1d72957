// A dollar amount as every view and message writes it. Pure (no terminal, no chalk): the Pulumi
// program's cost-ceiling refusal imports it through infra/costing/ceiling.ts.

export function money(usd: number | null): string {
  if (usd === null) return "n/a";
  if (usd !== 0 && Math.abs(usd) < 0.01) return `$${usd.toPrecision(2)}`;
  return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
