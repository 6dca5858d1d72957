// Bad input, as a new user types it, across every command and every stack-file mistake: each is
// refused with exit 2 by one message that names the option, variable or file (and line) at fault and
// the fix; under --json stdout holds exactly one JSON document, the error; stack files stay byte for
// byte and no state backend is created, so pulumi never ran. The backend the checks would call counts
// every request: none arrives. Almost all of these are refused while the options are read, in
// about the time node takes to start, so the table runs quickly.
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectRefusal, makeProject, manage, snapshot, TEST_NOW } from "../helpers/cli.js";

/** Folders named like the files --chart and --out write: a path that is a folder is refused before the work. */
const FOLDERS = mkdtempSync(join(tmpdir(), "bad-input-folders-"));
const SVG_FOLDER = join(FOLDERS, "chart.svg");
const HTML_FOLDER = join(FOLDERS, "report.html");
mkdirSync(SVG_FOLDER);
mkdirSync(HTML_FOLDER);

let server: Server;
let requests = 0;
let url = "";
beforeAll(async () => {
  server = createServer((_req, res) => {
    requests++;
    res.end('{"status":"healthy"}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
  // Not one of the refused checks sent anything.
  expect(requests).toBe(0);
});

// [args, what the message must say]. `URL` stands for the counting backend above.
type Case = [string[], RegExp] | [string[], RegExp, Record<string, string>];
const URL = "<url>";

const cases: Record<string, Case[]> = {
  "the command line": [
    [["no-such-command"], /unknown command 'no-such-command'[\s\S]*manage --help/],
    [["cost-estimate", "--profle", "contest"], /unknown option '--profle' \(did you mean --profile\?\)[\s\S]*manage cost-estimate --help/],
    [["plan", "--profile"], /option '-p, --profile <profile>' argument missing/],
    [["scale", "--profile", "contest", "--for", "3", "hours"], /--for "3" has no unit \(3 seconds\? minutes\? hours\?\): it takes a duration with a unit \(s, m, h, d\) from 1m to 7d, e\.g\. --for 3h/],
    [["scale", "--profile", "contest", "now"], /too many arguments for 'scale'[\s\S]*quote a value that has spaces/],
    [["stop", "contest"], /too many arguments for 'stop'/],
    [["completion", "tcsh"], /value 'tcsh' is invalid for argument 'shell'/],
    [["--stack", "../etc", "plan"], /--stack "\.\.\/etc" is not a stack name \(a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character '\/' at position 2\)/],
    [["--stack=", "plan"], /--stack "" is not a stack name \(a stack name may not be empty\)/],
    [["--stack", "x".repeat(101), "status"], /a stack name cannot exceed 100 characters/],
    [["--stack", "prod!", "status"], /invalid character '!' at position 4/],
    [["plan", "--stack", "prod"], /unknown stack "prod" \(from --stack\): there is no .*Pulumi\.prod\.yaml \(stacks here: contest, dev\)[\s\S]*pass --stack with one of those/],
    [["plan"], /unknown stack "bogus" \(from MANAGE_STACK\)[\s\S]*set MANAGE_STACK to one of those/, { MANAGE_STACK: "bogus" }],
    [["cost-estimate"], /MANAGE_STACK="a b" is not a stack name \(.*invalid character ' ' at position 1\)/, { MANAGE_STACK: "a b" }],
  ],
  scale: [
    [["scale"], /required option '-p, --profile <profile>' not specified/],
    [["scale", "--profile", "party"], /--profile "party" is not among the choices: it takes one of idle, testing, contest, e\.g\. --profile contest/],
    [["scale", "--profile", "contest", "--max-sessions", "0"], /--max-sessions "0" is below 1/],
    [["scale", "--profile", "contest", "--max-sessions", "-1"], /--max-sessions "-1" is not a number written in digits/],
    [["scale", "--profile", "contest", "--max-sessions", "1.5"], /--max-sessions "1\.5" is not a whole number/],
    [["scale", "--profile", "contest", "--max-sessions", "2000000"], /--max-sessions "2000000" is above 1,000,000/],
    [["scale", "--profile", "contest", "--max-sessions", "100000"], /--max-sessions 100000: coding-engine:profileOverrides\.contest\.maxSessions is above maxSessionsLimit \(600\)/],
    [["scale", "--profile", "contest", "--ready-sessions", "260"], /--ready-sessions 260: coding-engine:profileOverrides\.contest\.readySessions must not exceed maxSessions \(200\)[\s\S]*Nothing was changed/],
    [["scale", "--profile", "contest", "--ready-sessions", "lots"], /--ready-sessions "lots" is not a number written in digits/],
    [["scale", "--profile", "contest", "--cooldown", "100"], /--cooldown "100" is below 300 \(Azure's range for a Timed session cooldown\)/],
    [["scale", "--profile", "contest", "--cooldown", "5000"], /--cooldown "5000" is above 3,600/],
    [["scale", "--profile", "contest", "--cooldown", "5m"], /--cooldown "5m" is not a number written in digits: it takes a whole number of seconds from 300 to 3,600/],
    [["scale", "--profile", "contest", "--backend-min", "-1"], /--backend-min "-1" is not a number written in digits/],
    [["scale", "--profile", "contest", "--backend-max", "0"], /--backend-max "0" is below 1/],
    [["scale", "--profile", "contest", "--backend-max", "5000"], /--backend-max "5000" is above 1,000 \(Container Apps' replica ceiling\)/],
    [["scale", "--profile", "contest", "--backend-min", "20", "--backend-max", "5"], /--backend-min 20: coding-engine:profileOverrides\.contest\.backendMinReplicas must not exceed backendMaxReplicas/],
    [["scale", "--profile", "contest", "--for", "soon"], /--for "soon" is not a duration: it takes a duration with a unit/],
    [["scale", "--profile", "contest", "--for", "30d"], /--for "30d" is longer than 7d \(an expiry is a reminder to stop, not a schedule\)/],
    [["scale", "--profile", "contest", "--for", "3"], /--for "3" has no unit/],
    [["scale", "--profile", "contest", "--for", "10s"], /--for "10s" is shorter than 1m/],
    [["scale", "--profile", "idle", "--for", "3h"], /--for sets when to return to idle; it makes no sense when scaling to idle/],
    [["scale", "--profile", "idle", "--max-sessions", "9"], /--max-sessions sizes the session pool, and the idle profile has none/],
    [["scale", "--profile", "contest", "--wait-timeout", "soon"], /--wait-timeout "soon" is not a duration/],
    [["scale", "--profile", "contest", "--wait-timeout", "5"], /--wait-timeout "5" has no unit/],
    [["scale", "--profile", "contest", "--wait-timeout", "2d"], /--wait-timeout "2d" is longer than 1d/],
    [
      ["scale", "--profile", "contest", "--max-sessions", "600", "--ready-sessions", "600", "--backend-max", "1000", "--yes"],
      /this change can cost at most \$[\d,.]+\/day .*above stack dev's cost ceiling of \$500\.00\/day \(costCeilingPerDay\)\. .*--allow-over-ceiling\. Nothing was changed\./,
    ],
    [["scale", "--stack", "prod", "--profile", "contest"], /unknown stack "prod" \(from --stack\)/],
  ],
  "start, stop, up": [
    [["start-session-pool", "--profile", "idle"], /the idle profile has no session pool; start it with --profile testing or contest/],
    [["start", "--profile", "party"], /--profile "party" is not among the choices/],
    [["start", "--wait-timeout", "10"], /--wait-timeout "10" has no unit/],
    [["start-backend", "--stack", "prod"], /unknown stack "prod"/],
    [["up", "--stack", "nope"], /unknown stack "nope" \(from --stack\)/],
    [["stop", "--stack", "../x"], /--stack "\.\.\/x" is not a stack name/],
    [["enforce-expiry", "--stack", "prod"], /unknown stack "prod"/],
    [["enforce-expiry", "--dry-run", "now"], /too many arguments for 'reconcile'/],
    [["pulumi"], /missing required argument 'args'/],
    [["status", "--stack", "prod"], /unknown stack "prod"/],
  ],
  images: [
    [["images", "import"], /required option '--from <image>' not specified/],
    [["images", "import", "--from", "nginx"], /--from "nginx" is not a full image reference: it takes a full image reference with a registry and a tag, e\.g\. --from myregistry\.azurecr\.io/],
    [["images", "import", "--from", "src.azurecr.io/coding-engine/session:latest"], /--tag "latest" is refused: the pool caches images by tag[\s\S]*e\.g\. --tag 2026-11-22/],
    [["images", "import", "--from", "src.azurecr.io/coding-engine/session:v1", "--tag", "latest"], /--tag "latest" is refused: the pool caches images by tag/],
    [["images", "import", "--from", "src.azurecr.io/coding-engine/session:v1", "--name", "Coding/Session"], /--name "Coding\/Session" is not a repository name/],
    [["images", "import", "--from", "src.azurecr.io/coding-engine/session:v1", "--tag", "bad tag"], /--tag "bad tag" is not an image tag/],
    [["images", "import", "--stack", "prod", "--from", "src.azurecr.io/coding-engine/session:v1"], /unknown stack "prod"/],
    [["images", "build", "--name", "coding-engine/session"], /missing required argument 'context-dir'/],
    [["images", "build", "."], /required option '--name <repository>' not specified/],
    [["images", "build", "./nope", "--name", "coding-engine/session"], /build context .*nope does not exist/],
    [["images", "build", ".", "--name", "coding-engine/session"], /no Dockerfile in .* \(pass --file to name another\)/],
  ],
  // A GitHub Actions run never falls back to a local state or takes an empty variable (cli/workflow.ts).
  "in a GitHub Actions run": [
    [["reconcile", "--stack", "dev", "--yes"], /PULUMI_BACKEND_URL is not set in this GitHub Actions run[\s\S]*Fix: set the repository variable PULUMI_BACKEND_URL .*Settings → Secrets and variables → Actions → Variables/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "" }],
    [["reconcile", "--stack", "dev", "--yes"], /PULUMI_BACKEND_URL is empty in this GitHub Actions run/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "", PULUMI_BACKEND_URL: "" }],
    // A workflow run sets no MANAGE_NOW (the suite's clock is refused there first: cli/clock.ts).
    [["up", "--stack", "dev", "--yes"], /ARM_SUBSCRIPTION_ID is empty in this GitHub Actions run[\s\S]*Fix: set the repository variable AZURE_SUBSCRIPTION_ID/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "", PULUMI_BACKEND_URL: "azblob://state?storage_account=nowhere", ARM_CLIENT_ID: "x", ARM_TENANT_ID: "y", ARM_SUBSCRIPTION_ID: "" }],
    [["scale", "--stack", "dev", "--profile", "testing", "--yes"], /PULUMI_CONFIG_PASSPHRASE is empty in this GitHub Actions run[\s\S]*Fix: set it as a repository secret/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "", PULUMI_BACKEND_URL: "azblob://state?storage_account=nowhere", PULUMI_CONFIG_PASSPHRASE: "" }],
    [["pulumi", "--", "stack", "ls"], /PULUMI_BACKEND_URL is not set in this GitHub Actions run/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "" }],
    // status leaves out what it cannot see on a laptop; in a workflow a missing backend fails the job.
    [["status", "--stack", "dev"], /PULUMI_BACKEND_URL is not set in this GitHub Actions run[\s\S]*Fix: set the repository variable PULUMI_BACKEND_URL/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "" }],
    // The scheduled job decides on the real clock: a rehearsal clock there is refused, reading or not.
    [["reconcile", "--stack", "contest", "--yes", "--json"], /MANAGE_NOW=2027-01-01T00:00:00Z is set in a workflow run: a workflow decides and changes stacks on the real clock only[\s\S]*Fix: remove MANAGE_NOW/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "2027-01-01T00:00:00Z", PULUMI_BACKEND_URL: "azblob://state?storage_account=nowhere" }],
    [["status", "--stack", "contest"], /MANAGE_NOW=2027-01-01T00:00:00Z is set in a workflow run/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "2027-01-01T00:00:00Z", PULUMI_BACKEND_URL: "azblob://state?storage_account=nowhere" }],
    // Commands that never read the clock are refused all the same: nothing runs beside it.
    [["keys", "list", "--stack", "contest"], /MANAGE_NOW=2027-01-01T00:00:00Z is set in a workflow run/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "2027-01-01T00:00:00Z", PULUMI_BACKEND_URL: "azblob://state?storage_account=nowhere" }],
    [["doctor", "--stack", "contest"], /MANAGE_NOW=2027-01-01T00:00:00Z is set in a workflow run/, { GITHUB_ACTIONS: "true", MANAGE_NOW: "2027-01-01T00:00:00Z", PULUMI_BACKEND_URL: "azblob://state?storage_account=nowhere" }],
  ],
  "smoke and doctor": [
    [["smoke", "--endpoint", "ftp://example.com"], /--endpoint "ftp:\/\/example\.com" is a ftp URL: it takes an http or https URL/],
    [["smoke", "--endpoint", "not a url"], /--endpoint "not a url" is not a URL/],
    [["smoke", "--stack", "dev", "--endpoint", URL], /give either --stack or --endpoint, not both/],
    [["smoke", "--endpoint", URL, "--concurrency", "0"], /--concurrency "0" is below 1/],
    [["smoke", "--endpoint", URL, "--concurrency", "1000"], /--concurrency "1000" is above 256 \(manage keeps at most 256 requests open at once\)/],
    [["smoke", "--endpoint", URL, "--concurrency", "x"], /--concurrency "x" is not a number written in digits/],
    [["smoke", "--stack", "prod"], /unknown stack "prod"/],
    [["doctor", "--stack", "prod"], /unknown stack "prod"/],
    [["doctor", "--pool-path", "python/execute"], /--pool-path "python\/execute" is not an absolute path: it takes an absolute URL path, e\.g\. --pool-path \/python\/execute/],
    [["doctor", "--pool-path", "/a b"], /--pool-path "\/a b" is not an absolute path/],
  ],
  "load-test": [
    [["load-test", "--endpoint", URL, "--users", "10"], /required option '--duration <duration>' not specified/],
    [["load-test", "--endpoint", URL, "--duration", "1m"], /required option '--users <n>' not specified/],
    [["load-test", "--endpoint", URL, "--users", "0", "--duration", "1m"], /--users "0" is below 1/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "5"], /--duration "5" has no unit \(5 seconds\? minutes\? hours\?\)/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "2h"], /--duration "2h" is longer than 30m \(a load test is a test, not an attack\)/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "500ms"], /--duration "500ms" is shorter than 1s/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--mix", "ruby:100"], /--mix takes language:weight pairs like python:60,cpp:20,java:10,js:10/],
    // A name every object has (Object.prototype's) is no language either.
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--mix", "constructor:100"], /--mix takes language:weight pairs like python:60,cpp:20,java:10,js:10/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--mix", "python:0"], /--mix needs at least one language with a weight above 0/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--mix", "python:50,py:50"], /--mix names python twice/],
    [["load-test", "--endpoint", URL, "--users", "5000", "--duration", "30m", "--rate", "50"], /this load would send more than 10000 executions, over the cap of 10000/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--rate", "1000000"], /--rate "1000000" is above 1,000 \(at most 1000 executions a second\)/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "30m", "--rate", "1000", "--max-requests", "100000"], /more than 100000 executions, over the cap of 100000/],
    [["load-test", "--endpoint", URL, "--users", "20000", "--duration", "1m"], /at least 20000 executions, over the cap of 10000/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--max-requests", "0"], /--max-requests "0" is below 1/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--max-requests", "1000000"], /--max-requests "1000000" is above 100,000/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--rate", "1", "--runs-per-user-per-minute", "2"], /give either --rate or --runs-per-user-per-minute, not both/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "10s", "--burst-seconds", "20"], /--burst-seconds 20 is longer than --duration \(10 s\)/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--seed", "-1"], /--seed "-1" is not a number written in digits/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--seed", "1.5"], /--seed "1\.5" is not a whole number/],
    [["load-test", "--endpoint", "ftp://x", "--users", "10", "--duration", "1m"], /--endpoint "ftp:\/\/x" is a ftp URL/],
    [["load-test", "--endpoint", URL, "--users", "10", "--duration", "1m", "--runs-per-user-per-minute", "100"], /--runs-per-user-per-minute "100" is above 60/],
  ],
  plan: [
    [["plan", "--from", "idle"], /--from and --to go together/],
    [["plan", "--profile", "contest", "--from", "idle", "--to", "testing"], /either --profile or --from\/--to/],
    [["plan", "--profile", "turbo"], /--profile "turbo" is not among the choices/],
    [["plan", "--from", "idle", "--to", "x"], /--to "x" is not among the choices/],
  ],
  "cost-estimate": [
    [["cost-estimate", "--profile", "party"], /--profile "party" is not among the choices: it takes one of idle, testing, contest/],
    [["cost-estimate", "--hours", "abc"], /--hours "abc" is not a number written in decimal digits: it takes a decimal number of hours from 0\.01 to 24, e\.g\. --hours 2/],
    [["cost-estimate", "--hours", "0x10"], /--hours "0x10" is not a number written in decimal digits/],
    [["cost-estimate", "--hours", "1e3"], /--hours "1e3" is not a number written in decimal digits/],
    [["cost-estimate", "--hours", "0"], /--hours "0" is below 0\.01/],
    [["cost-estimate", "--hours", "48"], /--hours "48" is above 24 \(for longer windows, use --days\)/],
    [["cost-estimate", "--days", "400"], /--days "400" is above 365/],
    [["cost-estimate", "--hours", "2", "--days", "1"], /give either --hours or --days, not both/],
    [["cost-estimate", "--executions", "-5"], /--executions "-5" is not a number written in digits/],
    [["cost-estimate", "--executions", "2.5"], /--executions "2\.5" is not a whole number/],
    [["cost-estimate", "--region", "mars"], /--region "mars" has no embedded prices: .*\(embedded: eastus, eastus2, koreacentral, westeurope\), or any Azure region with --live-prices/],
    // A name every object has (Object.prototype's) is not a region with prices either.
    [["cost-estimate", "--region", "constructor"], /--region "constructor" has no embedded prices: .*\(embedded: eastus, eastus2, koreacentral, westeurope\), or any Azure region with --live-prices/],
    [["cost-estimate", "--region", "East US"], /--region "East US" is a display name, not a region name \(write eastus\)/],
    [["cost-estimate", "--avg-exec-seconds", "3"], /--avg-exec-seconds describes a load: give --executions too/],
    [["cost-estimate", "--avg-exec-seconds", "0"], /--avg-exec-seconds "0" is below 0\.01/],
    [["cost-estimate", "--sessions-per-node", "1000"], /--sessions-per-node "1000" is above 64 \(an E16 node has 16 vCPU and a session takes at least 0\.25\)/],
    [["cost-estimate", "--sessions-per-node", "0"], /--sessions-per-node "0" is below 1/],
    [["cost-estimate", "--node-reserved-share", "1"], /--node-reserved-share "1" is above 0\.9/],
    [["cost-estimate", "--log-gb-per-1000-runs", "-1"], /--log-gb-per-1000-runs "-1" is not a number written in decimal digits/],
    [["cost-estimate", "--registry-gb", "50000"], /--registry-gb "50000" is above 40,960 \(a registry holds at most 40 TiB\)/],
    [["cost-estimate", "--warm-up-hours", "48"], /--warm-up-hours "48" is above 24/],
    [["cost-estimate", "--tail-hours", "x"], /--tail-hours "x" is not a number/],
    [["cost-estimate", "--stack", "prod"], /unknown stack "prod" \(from --stack\).*\(stacks here: contest, dev\)/],
  ],
  "dates, folders and sizes": [
    // Date rolls 2027-02-30 over to March 2; a calendar day must exist, with or without a time.
    [["schedule", "--at", "2027-02-30T09:00Z", "--for", "3h"], /--at "2027-02-30T09:00Z" is not a calendar date/],
    [["schedule", "--at", "2027-04-31T09:00+01:00", "--for", "3h"], /--at "2027-04-31T09:00\+01:00" is not a calendar date/],
    [["schedule", "--at", "2027-01-10T25:00Z", "--for", "3h"], /--at "2027-01-10T25:00Z" is not a time of day/],
    // An offset no zone has is said to be the offset, not the date.
    [["schedule", "--at", "2027-02-10T09:00+25:00", "--for", "3h"], /--at "2027-02-10T09:00\+25:00" has a UTC offset \(\+25:00\) that no zone has \(offsets run from -12:00 to \+14:00\)/],
    [["schedule", "--at", "2027-02-10T09:00+01:60", "--for", "3h"], /--at "2027-02-10T09:00\+01:60" has a UTC offset \(\+01:60\)/],
    [["report", "--from", "2026-12-05T08:00-13:00", "--to", "2026-12-05T11:00:00Z"], /--from "2026-12-05T08:00-13:00" has a UTC offset \(-13:00\)/],
    [["spend", "--from", "2026-02-29", "--to", "2026-03-02"], /--from "2026-02-29" is not a calendar date/],
    [["report", "--from", "2026-11-31T08:00:00Z", "--to", "2026-12-01T10:00:00Z"], /--from "2026-11-31T08:00:00Z" is not a calendar date/],
    [["report", "--from", "2026-12-05T08:00:00Z", "--to", "2026-12-05T11:00:00Z", "--out", "no-such-folder/contest.html"], /--out "no-such-folder\/contest\.html" is in a folder that does not exist \(.*no-such-folder\)/],
    [["capacity", "--simulate", "--chart", "no-such-folder/sim.svg"], /--chart "no-such-folder\/sim\.svg" is in a folder that does not exist \(.*no-such-folder\)/],
    // A folder, or a place no one may write (sysfs refuses a new file even to root): refused when read, before the work.
    [["capacity", "--simulate", "--chart", SVG_FOLDER], /--chart ".*chart\.svg" is a folder \(.*chart\.svg\): give a file name/],
    [["capacity", "--simulate", "--chart", "/sys/sim.svg"], /--chart "\/sys\/sim\.svg" cannot be written \(EACCES in \/sys\): give a path you may write/],
    [["report", "--from", "2026-12-05T08:00:00Z", "--to", "2026-12-05T11:00:00Z", "--out", HTML_FOLDER], /--out ".*report\.html" is a folder \(.*report\.html\): give a file name/],
    [["report", "--from", "2026-12-05T08:00:00Z", "--to", "2026-12-05T11:00:00Z", "--out", "/sys/contest.html"], /--out "\/sys\/contest\.html" cannot be written \(EACCES in \/sys\)/],
    // Sized for 100000 participants, the window needs more sessions than the pool's ceiling: bad input, not a failure.
    [["schedule", "--at", "2027-02-10T09:00Z", "--for", "3h", "--users", "100000"], /--users 100000 \(sized max \d+, ready \d+\): coding-engine:profileOverrides\.contest\.maxSessions is above maxSessionsLimit \(600\)/],
    [["scale", "--profile", "contest", "--max-sessions", "x"], /it takes a whole number of sessions from 1 to the stack's maxSessionsLimit \(600 unless its stack file sets it\), e\.g\. --max-sessions 10/],
    [["cost-estimate", "--node-reserved-share", "x"], /it takes a decimal number from 0 to 0\.9, e\.g\. --node-reserved-share 0\.125/],
  ],
  capacity: [
    [["capacity", "--users", "1e9"], /--users "1e9" is not a number written in digits: it takes a whole number of participants from 1 to 100,000/],
    [["capacity", "--users", "2.5"], /--users "2\.5" is not a whole number/],
    [["capacity", "--users", "200000"], /--users "200000" is above 100,000/],
    [["capacity", "--users", "200", "--identifier", "round-robin"], /--identifier "round-robin" is not an identifier strategy: it takes per-user, per-execution or shared:K/],
    [["capacity", "--identifier", "shared:0"], /--identifier "shared:0" shares no session \(K must be at least 1\)/],
    [["capacity", "--identifier", "shared:x"], /--identifier "shared:x" has no whole number of sessions after shared:/],
    [["capacity", "--max-404-rate", "2"], /--max-404-rate "2" is above 0\.5/],
    [["capacity", "--max-404-rate", "0"], /--max-404-rate "0" is below or at 0 \(a share of requests; 0 would need an unbounded pool\)/],
    [["capacity", "--burst-seconds", "400"], /--burst-seconds 400 is longer than the cooldown \(300 s\)/],
    [["capacity", "--node-reserved-share", "1"], /--node-reserved-share "1" is above 0\.9/],
    [["capacity", "--cold-start-seconds", "0"], /--cold-start-seconds "0" is below 0\.1/],
    // The most the planner's sampled bursts can tell (infra/capacity.ts deliverableConfidence): 99.1% at 400.
    [["capacity", "--confidence", "99.9%"], /--confidence "99\.9%" is above 99\.1% \(below 50% is not a plan; the planner's 400 sampled opening bursts cannot tell a share above 99\.1%\)/],
    [["capacity", "--confidence", "95"], /--confidence "95" is above 99\.1% \(.*\); a number without % is a fraction: for 95%, write 95%/],
    [["capacity", "--confidence", "ninety"], /--confidence "ninety" is not a percentage written in decimal digits/],
    [["capacity", "--p95-wait-seconds", "-1"], /--p95-wait-seconds "-1" is not a number/],
    [["capacity", "--avg-exec-seconds", "1000"], /--avg-exec-seconds "1000" is above 600/],
    [["capacity", "--runs-per-user-per-minute", "0"], /--runs-per-user-per-minute "0" is below 0\.01/],
    [["capacity", "--seed", "x"], /--seed "x" is not a number/],
    [["capacity", "--simulate", "--seed", "4294967295"], /--seed 4294967295 is above 4294967096: --simulate runs 200 contests from it, and seeds end at 4294967295; give at most 4294967096/],
    [["capacity", "--simulate", "--chart", "out.png"], /--chart "out\.png" is not an \.svg file name/],
    [["capacity", "--profile", "idle"], /the idle profile has no session pool to size/],
    [["capacity", "--hours", "100"], /--hours "100" is above 24/],
    [["capacity", "--stack", "prod"], /unknown stack "prod"/],
  ],
};

// Stack files as people break them: [what, how the file reads, the command, the message].
const DEV = "Pulumi.dev.yaml";
const base = (project: string) => snapshot(project)[DEV]!;
const fileCases: Array<[string, (text: string) => string, string[], RegExp]> = [
  ["deficient indentation", (t) => t.replace("  coding-engine:namePrefix", "coding-engine:namePrefix"), ["plan"], /Pulumi\.dev\.yaml:3:\d+: .*[\s\S]*Fix: correct the YAML at that line/],
  ["an empty file", () => "", ["cost-estimate"], /Pulumi\.dev\.yaml is empty: a stack file holds a config: map/],
  ["only comments", () => "# nothing yet\n", ["capacity"], /Pulumi\.dev\.yaml is empty/],
  ["a duplicated key", (t) => t + "  coding-engine:profile: idle\n", ["plan"], /Pulumi\.dev\.yaml:12:\d+: a key appears twice \(coding-engine:profile\)/],
  ["an unclosed quote", (t) => t.replace("location: eastus", 'location: "eastus'), ["cost-estimate"], /Pulumi\.dev\.yaml:\d+:\d+: /],
  ["a tab for indentation", (t) => t.replace("  coding-engine:location", "\tcoding-engine:location"), ["plan"], /Pulumi\.dev\.yaml:\d+:\d+: /],
  ["config is a list", () => "config:\n  - coding-engine:profile: idle\n", ["plan"], /Pulumi\.dev\.yaml:1: config must be a map of keys to values/],
  ["the file is a string", () => "just text\n", ["plan"], /Pulumi\.dev\.yaml:1: the file is not a map of keys/],
  ["location: mars", (t) => t.replace("location: eastus", "location: mars"), ["plan"], /Pulumi\.dev\.yaml:2: coding-engine:location mars is not among the regions with custom-container session pools/],
  ["location: mars, with a cost-estimate", (t) => t.replace("location: eastus", "location: mars"), ["cost-estimate"], /Pulumi\.dev\.yaml:2: coding-engine:location/],
  ["a region without prices", (t) => t.replace("location: eastus", "location: westus3"), ["cost-estimate"], /no embedded prices for region "westus3", the location in Pulumi\.dev\.yaml:2[\s\S]*Fix: price it with --live-prices/],
  ["an unknown profile", (t) => t.replace("profile: idle", "profile: turbo"), ["plan"], /Pulumi\.dev\.yaml:10: coding-engine:profile must be one of idle, testing, contest \(got "turbo"\)[\s\S]*Fix: edit Pulumi\.dev\.yaml/],
  ["a misspelt key", (t) => t + "  coding-engine:partcipants: 300\n", ["capacity"], /Pulumi\.dev\.yaml:12: coding-engine:partcipants is not a setting of this project/],
  // A name every object has (Object.prototype's) is no setting either.
  ["a key named like an object's own", (t) => t + "  coding-engine:constructor: x\n", ["plan"], /Pulumi\.dev\.yaml:12: coding-engine:constructor is not a setting of this project/],
  ["an override that is not a number", (t) => t + "  coding-engine:profileOverrides:\n    contest:\n      maxSessions: many\n", ["plan"], /Pulumi\.dev\.yaml:14: coding-engine:profileOverrides\.contest\.maxSessions must be a whole number/],
  ["an override of an unknown profile", (t) => t + "  coding-engine:profileOverrides:\n    party:\n      maxSessions: 9\n", ["plan"], /Pulumi\.dev\.yaml:13: coding-engine:profileOverrides\.party may only name the profiles idle, testing, contest/],
  ["participants: 0", (t) => t + "  coding-engine:participants: 0\n", ["capacity"], /Pulumi\.dev\.yaml:12: coding-engine:participants must be between 1 and 100000/],
  // Read as pulumi reads an integer (a sign and digits): pulumi refuses "1e2", so manage does too.
  ["participants in exponent notation", (t) => t + '  coding-engine:participants: "1e2"\n', ["capacity"], /Pulumi\.dev\.yaml:12: coding-engine:participants must be a whole number \(got "1e2"\)/],
  ["overrides as a list", (t) => t + "  coding-engine:profileOverrides: []\n", ["plan"], /Pulumi\.dev\.yaml:12: coding-engine:profileOverrides must be a map of profiles, e\.g\. \{contest: \{maxSessions: 80\}\} \(got "\[\]"\)/],
  ["overrides as a number", (t) => t + "  coding-engine:profileOverrides: 80\n", ["cost-estimate"], /Pulumi\.dev\.yaml:12: coding-engine:profileOverrides must be a map of profiles/],
  ["a session CPU Azure refuses", (t) => t + '  coding-engine:sessionCpu: "3"\n', ["cost-estimate"], /Pulumi\.dev\.yaml:12: coding-engine:sessionCpu must be between 0\.25 and 2 vCPU/],
  ["a legacy key", (t) => t + "  coding-engine:contestMaxSessions: 80\n", ["plan"], /Pulumi\.dev\.yaml:12: coding-engine:contestMaxSessions is now coding-engine:profileOverrides\.contest\.maxSessions/],
  ["a setting set with --secret", (t) => t + "  coding-engine:gatewayPublisherEmail:\n    secure: v1:bm9uY2U=:Y2lwaGVy\n", ["plan"], /Pulumi\.dev\.yaml:12: coding-engine:gatewayPublisherEmail is set as a secret [^\n]* operations output\n\s+Fix: set it again in plain text: pulumi config set --plaintext coding-engine:gatewayPublisherEmail <value> --stack dev/],
  ["a nested setting set with --secret --path", (t) => t + "  coding-engine:profileOverrides:\n    contest:\n      maxSessions:\n        secure: v1:bm9uY2U=:Y2lwaGVy\n", ["plan"], /Pulumi\.dev\.yaml:12: coding-engine:profileOverrides is set as a secret/],
  // Refused on the file as written: a stop's or a scale's own profile and overrides would hide it.
  ["a secret profile, on a stop", (t) => t.replace("coding-engine:profile: idle", "coding-engine:profile:\n    secure: v1:bm9uY2U=:Y2lwaGVy"), ["stop", "--yes"], /Pulumi\.dev\.yaml:10: coding-engine:profile is set as a secret/],
  ["a secret override, on a scale that sets it", (t) => t + "  coding-engine:profileOverrides:\n    testing:\n      maxSessions:\n        secure: v1:bm9uY2U=:Y2lwaGVy\n", ["scale", "--profile", "testing", "--max-sessions", "5"], /Pulumi\.dev\.yaml:12: coding-engine:profileOverrides is set as a secret/],
  ["a cost ceiling the profile exceeds", (t) => t.replace("profile: idle", "profile: contest") + "  coding-engine:profileOverrides:\n    contest:\n      maxSessions: 600\n      readySessions: 300\n", ["up"], /this change can cost at most \$[\d,.]+\/day .*above stack dev's cost ceiling/],
  ["a broken file, on a change", (t) => t.replace("  coding-engine:namePrefix", "coding-engine:namePrefix"), ["scale", "--profile", "contest"], /Pulumi\.dev\.yaml:3:\d+: /],
  ["a broken file, on smoke", () => "", ["smoke"], /Pulumi\.dev\.yaml is empty/],
];

const count = Object.values(cases).flat().length + fileCases.length;

test("the table holds at least 120 bad inputs", () => {
  expect(count).toBeGreaterThanOrEqual(120);
});

describe.concurrent.each(Object.entries(cases))("%s", (_group, list) => {
  let project: string;
  beforeAll(() => {
    project = makeProject();
  });
  test.each(list.map((c) => [c[0].map((a) => (a === URL ? "URL" : a)).join(" "), c] as const))("manage %s", async (_name, [args, message, env]) => {
    await expectRefusal(project, args.map((a) => (a === URL ? url : a)), message, env);
  });
});

test("capacity --simulate's default chart path is checked before the simulation runs: a folder by that name is refused, naming --chart", async () => {
  const project = makeProject();
  mkdirSync(join(project, "capacity-simulation.svg"));
  const r = await manage(["capacity", "--simulate"], { project });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/^manage: --chart "capacity-simulation\.svg" is a folder \(.*capacity-simulation\.svg\): give a file name/m);
  // Refused before the work: no simulation was reported.
  expect(r.stdout).not.toContain("Simulated contests");
  expect(existsSync(join(project, "capacity-simulation.svg", "capacity-simulation.svg"))).toBe(false);
});

test("schedule --at's example is a week from now, on the suite's clock and on the real one: pasted, it is not refused as past", async () => {
  const project = makeProject();
  for (const clock of [TEST_NOW, ""]) {
    const r = await manage(["schedule", "--stack", "contest", "--at", "x", "--for", "3h"], { project, env: { MANAGE_NOW: clock } });
    expect(r.exitCode).toBe(2);
    const example = /e\.g\. --at (\S+)/.exec(r.stderr)?.[1];
    expect(example, r.stderr).toMatch(/^\d{4}-\d{2}-\d{2}T09:00\+01:00$/);
    const from = clock ? Date.parse(clock) : Date.now();
    expect(Date.parse(example!) - from).toBeGreaterThan(6 * 86_400_000);
    // The same example in the refusal of a missing --at.
    const missing = await manage(["schedule", "--stack", "contest", "--for", "3h"], { project, env: { MANAGE_NOW: clock } });
    expect(missing.stderr).toContain(`e.g. --at ${example} --for 3h`);
  }
});

describe.concurrent("stack files", () => {
  test.each(fileCases)("%s", async (_what, edit, args, message) => {
    const project = makeProject();
    writeFileSync(join(project, DEV), edit(base(project)));
    await expectRefusal(project, args, message);
  });
});
