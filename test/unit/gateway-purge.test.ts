// The soft-deleted gateway's purge, against the stand-in az: API Management may accept a purge (202)
// and finish it later, and until then a create under the name is still refused. manage returns only
// once the name is free, or says it is not.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { FAKE_AZ_BIN } from "../helpers/project.js";
import { createRefusal, softDelete } from "../fake-az/soft-deleted.js";
import { purgeDeletedGateway } from "../../cli/azure/gateway-purge.js";

describe("purging the soft-deleted gateway", () => {
  const saved = { ...process.env };
  let project: string;
  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), "purge-"));
    Object.assign(process.env, { PATH: `${FAKE_AZ_BIN}:${process.env.PATH}`, MANAGE_PROJECT_DIR: project, FAKE_AZ_STATE: join(project, "az.json") });
    delete process.env.PULUMI_BACKEND_URL;
    softDelete(join(project, ".pulumi-state"), "codeeng-contest-gw", "eastus");
  });
  afterEach(() => {
    process.env = { ...saved };
  });
  const refused = () => createRefusal(join(project, ".pulumi-state"), "codeeng-contest-gw", false);

  test("a purge that finishes later (202): manage follows it until the name is free, so the create that comes next is not refused", async () => {
    process.env.FAKE_AZ_PURGE_POLLS = "2";
    expect(refused()).toMatch(/ServiceAlreadyExistsInSoftDeletedState/);
    await purgeDeletedGateway("eastus", "codeeng-contest-gw");
    expect(refused()).toBeNull();
  });

  test("a purge still under way when the wait ends: said, not taken for done", async () => {
    process.env.FAKE_AZ_PURGE_POLLS = "100";
    await expect(purgeDeletedGateway("eastus", "codeeng-contest-gw", false, { seconds: 0 })).rejects.toThrow(
      "API Management accepted the purge of codeeng-contest-gw but still holds it soft-deleted after 0 s",
    );
    expect(refused()).toMatch(/ServiceAlreadyExistsInSoftDeletedState/);
  });

  test("nothing soft-deleted (204): done at once", async () => {
    process.env.FAKE_AZ_PURGE_POLLS = "0";
    await purgeDeletedGateway("eastus", "codeeng-contest-gw");
    await purgeDeletedGateway("eastus", "codeeng-contest-gw");
    expect(refused()).toBeNull();
  });
});
