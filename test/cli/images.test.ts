// manage images end to end, through the stand-in for the Azure CLI (test/fake-az): images land in
// the stack's own registry, a reused tag is refused, and a change stops when an image is missing.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { deployed, FAKE_PULUMI_BIN, inWorker, makeProject, manageDecision, names, prepare, readState, snapshot } from "../helpers/cli.js";
import { importTarget, rolloutTag } from "../../cli/commands/images.js";

// Every test has a project directory of its own, so the tests of this file run side by side.
const registry = (project: string) => JSON.parse(readFileSync(join(project, ".fake-az.json"), "utf8"));

describe.concurrent("importing and building images", () => {
  test("import lands in the stack's registry under the source's repository and tag, and says what to do next", async () => {
    const project = makeProject();
    await prepare(project);
    const r = await manageDecision(["images", "import", "--from", "ghcr.example.io/team/runner:2026-11-22", "--name", "coding-engine/session"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("as codeengdevacr.azurecr.io/coding-engine/session:2026-11-22");
    expect(r.stdout).toContain("`manage pulumi -- config set sessionImage coding-engine/session:2026-11-22 --stack dev`, then `manage up --stack dev`");
    expect(registry(project).codeengdevacr["coding-engine/session"]).toContain("2026-11-22");
  });

  test("the backend's image is pointed at with backendImage, through manage pulumi (the project's backend and passphrase)", async () => {
    const project = makeProject();
    await prepare(project);
    const r = await manageDecision(["images", "import", "--from", "ghcr.example.io/team/coding-engine/backend:v7", "--name", "coding-engine/backend"], { project });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("`manage pulumi -- config set backendImage coding-engine/backend:v7 --stack dev`");
    expect(r.stdout).not.toMatch(/sessionImage|[^-] `pulumi /);
  });

  test("a tag that already exists is refused (the pool would keep the old image) unless --force", async () => {
    const project = makeProject();
    await prepare(project);
    const again = await manageDecision(["images", "import", "--from", "source.azurecr.io/coding-engine/session:v1"], { project });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("codeengdevacr/coding-engine/session:v1 already exists. The session pool caches images by tag");
    const forced = await manageDecision(["images", "import", "--from", "source.azurecr.io/coding-engine/session:v1", "--force"], { project });
    expect(forced.exitCode).toBe(0);
  });

  test("build sends the context to the registry with a fresh tag per rollout", async () => {
    const project = makeProject();
    await prepare(project);
    const context = mkdtempSync(join(tmpdir(), "ctx-"));
    writeFileSync(join(context, "Dockerfile"), "FROM python:3.12-slim\n");
    const r = await manageDecision(["images", "build", context, "--name", "coding-engine/session"], { project });
    expect(r.exitCode).toBe(0);
    const tag = /coding-engine\/session:(\d{8}-\d{6})/.exec(r.stdout)![1]!;
    expect(registry(project).codeengdevacr["coding-engine/session"]).toContain(tag);
    expect(r.stderr).toContain("was successful");
    // The build's log (az prints it on its stdout) reaches the person as it runs, on stderr: stdout
    // stays manage's own, one JSON document with --json.
    expect(r.stderr).toContain(`Step 1/1 : built from ${join(context, "Dockerfile")}`);
    const json = await manageDecision(["images", "build", context, "--name", "coding-engine/session", "--tag", "v2", "--json"], { project });
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ image: "coding-engine/session:v2" });
    expect(json.stderr).toContain("Step 1/1 : built from");
  });

  test("into a registry that does not exist yet: Azure's own error, exit 1", async () => {
    const project = makeProject();
    const r = await manageDecision(["images", "import", "--from", "source.azurecr.io/coding-engine/session:v1"], { project });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("could not be found");
  });

  test("without the Azure CLI: the install hint, exit 2", async () => {
    const project = makeProject();
    const r = await manageDecision(["images", "import", "--from", "src.azurecr.io/coding-engine/session:v2"], {
      project,
      path: `${FAKE_PULUMI_BIN}:/usr/bin:/bin`,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("the Azure CLI is not installed");
  });

  test("an az that is installed and fails with ENOENT in its output is a failed az call, not a missing az: exit 1, az's failure", async () => {
    // execa's message holds the command's output too (review rv12: the seam took any "ENOENT" there
    // for az not being on PATH, where 94b902f looked only at the spawn's error code). Here az's
    // error text names ENOENT (a file it could not open), as an installed tool's error text may.
    const project = makeProject();
    await prepare(project);
    const bin = mkdtempSync(join(tmpdir(), "az-bin-"));
    writeFileSync(
      join(bin, "az"),
      '#!/bin/sh\nif [ "$2" = repository ]; then echo "[]"; exit 0; fi\necho "ERROR: [Errno ENOENT] could not open the token cache" >&2\nexit 1\n',
    );
    chmodSync(join(bin, "az"), 0o755);
    const r = await manageDecision(["images", "import", "--from", "src.azurecr.io/coding-engine/session:v9"], { project, path: `${bin}:${FAKE_PULUMI_BIN}:/usr/bin:/bin` });
    expect(r.stderr).not.toContain("the Azure CLI is not installed");
    expect(r.stderr).toContain("az acr import failed: ERROR: [Errno ENOENT] could not open the token cache");
    expect(r.exitCode).toBe(1);
  });
});

describe.concurrent("a change whose image is not in the registry", () => {
  test("stops before changing anything, with the exact command, instead of leaving a failed pool", async () => {
    const project = makeProject();
    await deployed(project, "dev after up");
    const file = join(project, "Pulumi.dev.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("coding-engine/session:v1", "coding-engine/session:2026-12-01"));
    const files = snapshot(project);
    const before = JSON.stringify(readState(project, "dev"));
    const r = await manageDecision(["scale", "--no-wait", "--profile", "contest"], { project });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("this image is not in registry codeengdevacr yet: coding-engine/session:2026-12-01");
    expect(r.stderr).toContain("manage images import --stack dev --from <source-registry>/coding-engine/session:2026-12-01");
    expect(snapshot(project)).toEqual(files);
    expect(JSON.stringify(readState(project, "dev"))).toBe(before);
  });

  test("an idle stack needs the session image too: its pool must be able to start on contest day", async () => {
    const project = makeProject();
    const first = await manageDecision(["up", "--stack", "contest"], { project });
    expect(first.stderr).toContain("these images are not in registry codeengcontestacr yet: coding-engine/backend:v1, coding-engine/session:v1.");
    await manageDecision(["images", "import", "--stack", "contest", "--from", "s.azurecr.io/coding-engine/backend:v1"], { project });
    expect((await manageDecision(["up", "--stack", "contest"], { project })).stderr).toContain("this image is not in registry codeengcontestacr yet: coding-engine/session:v1.");
    await manageDecision(["images", "import", "--stack", "contest", "--from", "s.azurecr.io/coding-engine/session:v1"], { project });
    expect((await manageDecision(["up", "--stack", "contest"], { project })).exitCode).toBe(0);
    expect(names(readState(project, "contest"))).toContain("backend");
  });
});

describe.concurrent("pure parts", () => {
  test("import targets and rollout tags", () => {
    expect(importTarget("myreg.azurecr.io/coding-engine/session:1.2")).toEqual({ repository: "coding-engine/session", tag: "1.2" });
    expect(importTarget("docker.io/library/python:3.12", "runtimes/python", "3.12-a")).toEqual({ repository: "runtimes/python", tag: "3.12-a" });
    expect(importTarget("localhost:5000/x/y:t")).toEqual({ repository: "x/y", tag: "t" });
    expect(rolloutTag(new Date("2026-11-22T14:15:03.123Z"))).toBe("20261122-141503");
  });
});


test("run in a test worker (as manage's decision tests run it), the az stand-in answers as its process does: exit code, stdout and stderr", async () => {
  const { runAz } = await import("../fake-az/main.js");
  const { execa } = await import("execa");
  const { FAKE_AZ_BIN } = await import("../helpers/cli.js");
  const [asProcess, inThread] = [makeProject(), makeProject()];
  await Promise.all([prepare(asProcess), prepare(inThread)]);
  const envOf = (project: string) => ({ FAKE_AZ_STATE: join(project, ".fake-az.json"), MANAGE_PROJECT_DIR: project, FAKE_AZ_PURGE_POLLS: "1" });
  const inThisWorker = async (project: string, args: string[]) => {
    const r = await inWorker((streams) => runAz({ ...streams, argv: args, cwd: project, env: { ...process.env, ...envOf(project) } }));
    return { ...r, stderr: r.stderr.split(project).join("<project>") };
  };
  const viaProcess = async (project: string, args: string[]) => {
    const r = await execa(join(FAKE_AZ_BIN, "az"), args, { cwd: project, reject: false, env: envOf(project) });
    return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr).split(project).join("<project>") };
  };
  const tags = ["acr", "repository", "show-tags", "--name", "codeengdevacr", "--repository", "team/runner", "--output", "json"];
  for (const args of [
    ["version", "--output", "json"],
    tags,
    ["acr", "import", "--name", "codeengdevacr", "--source", "ghcr.example.io/team/runner:1", "--image", "team/runner:1", "--output", "json"],
    ["acr", "import", "--name", "codeengdevacr", "--source", "ghcr.example.io/team/runner:1", "--image", "team/runner:1", "--output", "json"],
    tags,
    ["acr", "import", "--name", "nosuchacr", "--source", "x/y:1", "--image", "y:1"],
    ["acr", "build", "--registry", "codeengdevacr", "--image", "team/runner:2", "."],
    ["acr", "webhook", "list"],
  ]) {
    expect({ args, ...(await inThisWorker(inThread, args)) }).toEqual({ args, ...(await viaProcess(asProcess, args)) });
  }
  expect(registry(inThread)).toEqual(registry(asProcess));
});
