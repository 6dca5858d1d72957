// A window's sizing (schedule --users) applies to that window only: when the scheduled job stops an
// ended window, the profile goes back to its own numbers (what the stack file's participants give),
// so the next start and `manage status` ("sized for N") tell the truth.
import { expect, test } from "vitest";
import { withoutSizing } from "../../cli/schedule.js";
import { windowOverrides } from "../../cli/schedule.js";
import { parseSettings, PROJECT, profileOf } from "../../infra/config.js";
import { effectiveConfig } from "../../infra/operations.js";
import { readStackConfig } from "../../cli/stack-files.js";
import { ROOT } from "../helpers/program.js";

const raw = readStackConfig(ROOT, "contest");
const file = parseSettings(raw, "contest", PROJECT);

test("the ended window's sizing leaves the overrides; the profile is sized for the stack's participants again", () => {
  const sizing = windowOverrides({ profile: "contest", users: 250 }, file);
  expect(sizing.maxSessions).toBeGreaterThan(profileOf(file, "contest").pool!.maxSessions);
  const during = { contest: { cooldownSeconds: 600, ...sizing } };
  const after = withoutSizing(during, "contest", sizing);
  // An override someone set for its own reasons (the cooldown) stays.
  expect(after).toEqual({ contest: { cooldownSeconds: 600 } });
  const settings = parseSettings(effectiveConfig(raw, { profile: "idle", overrides: after, expiresAt: null }), "contest", PROJECT);
  const contest = profileOf(settings, "contest");
  expect(contest.overridden).not.toContain("maxSessions");
  expect(contest.sizedFor!.participants).toBe(file.participantModel.participants);
  // A number changed since the window started (an operator's scale) is theirs: kept.
  expect(withoutSizing({ contest: { ...sizing, maxSessions: 321 } }, "contest", sizing)).toEqual({ contest: { maxSessions: 321 } });
});
