// The test run's warm program: the project's compiled program served by @pulumi/pulumi's own
// language server for inline programs (automation/server.js LanguageServer: what the Automation API
// serves when it runs a program in its own process and hands the CLI `--client ADDR`; the engine
// then calls its Run, pkg/resource/deploy/source_eval.go via plugin/langruntime_plugin.go Run).
// Loading @pulumi/pulumi and the program costs about a second of CPU per `cmd/run` process; served
// here, it is loaded once per test run and each evaluation re-imports only the program's entry
// module. ./language-host.ts uses it only for this exact program (same file, same code, same
// @pulumi/pulumi) and re-runs through cmd/run whatever fails here, so every error a test sees
// comes from cmd/run; test/cli/fake-pulumi.test.ts holds the two paths' answers equal.
//
// Plain JavaScript run by node alone: no TypeScript loader between Pulumi's runtime and the
// program. Usage: node program-server.mjs PROGRAM_DIR MAIN; the first stdout line is the port.

import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [programDirectory, main] = process.argv.slice(2);
const entry = realpathSync(resolve(programDirectory, main));
const fromProgram = createRequire(entry);
const { LanguageServer } = fromProgram("@pulumi/pulumi/automation/server");
const languageRpc = fromProgram("@pulumi/pulumi/proto/language_grpc_pb");
const languageMsg = fromProgram("@pulumi/pulumi/proto/language_pb");
const debuggable = fromProgram("@pulumi/pulumi/runtime/debuggable");
const grpc = createRequire(fromProgram.resolve("@pulumi/pulumi/package.json"))("@grpc/grpc-js");

// The program's outputs are its entry module's exports, as cmd/run takes them. A query string makes
// each run a fresh instance of the entry module (its top-level code runs again); the modules it
// imports are shared between runs, as an inline program's are.
let runs = 0;
const program = async () => ({ ...(await import(`${pathToFileURL(entry).href}?run=${++runs}`)) });
const language = new LanguageServer(program);

// One run at a time: the program reads manage's request from process.env (infra/program.ts), which
// the stand-in sends with each call (metadata "manage-operations": the environment a cmd/run child
// would have been given).
let queue = Promise.resolve();
const service = {
  getRequiredPlugins: language.getRequiredPlugins.bind(language),
  getPluginInfo: language.getPluginInfo.bind(language),
  run(call, callback) {
    queue = queue.then(
      () =>
        new Promise((done) => {
          const [operations] = call.metadata.get("manage-operations");
          if (operations === undefined) delete process.env.MANAGE_OPERATIONS;
          else process.env.MANAGE_OPERATIONS = String(operations);
          let answered = false;
          language.run(call, (err, response) => {
            // LanguageServer.run answers a failed run twice (the error, then an empty response): the first counts.
            if (answered) return;
            answered = true;
            // cmd/run fails a run that leaves the SDK's promises pending when its process exits
            // (runtime/debuggable.js); the server checks only when the CLI exits (onPulumiExit), so
            // it is checked here, in the run's own store: such a run answers as failed, and the
            // stand-in runs it again through cmd/run.
            if (!err && !response.getError() && debuggable.leakedPromises()[0].size > 0) {
              const leaked = new languageMsg.RunResponse();
              leaked.setError("the program left promises pending (cmd/run fails such a run)");
              callback(undefined, leaked);
            } else callback(err, response);
            done();
          });
        }),
    );
  },
};

// Ends with the test run that started it, however that ends: its stdin closes.
process.stdin.on("end", () => process.exit(0)).resume();

const server = new grpc.Server();
server.addService(languageRpc.LanguageRuntimeService, service);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${port}\n`);
});
