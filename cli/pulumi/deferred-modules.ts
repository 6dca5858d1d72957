// The Automation API loads @pulumi/pulumi's whole language runtime: automation/stack.js requires
// ../runtime, which inline programs need (a program passed as a function, run inside this process).
// manage never runs one: its program is the project's `main`, which the pulumi CLI runs in a process
// of its own. Two of the runtime's requires are most of that load, and both serve only to turn a
// closure into code (inline programs, dynamic providers, serializeFunction):
// - TypeScript (9 MB, through the SDK's typescript-shim.js, required at the top of
//   runtime/closure/parseFunction.js), to serialize a closure into code;
// - @npmcli/arborist (and pacote, sigstore, npm-registry-fetch under it), required at the top of
//   runtime/closure/codePaths.js, to find the packages a closure uses.
// Loading the Automation API costs ~0.5 s of CPU here with them and ~0.19 s without (`npm run bench`:
// "Automation API load"), on every scale, stop, start, up and keys. `manage plan` pays the same
// for @pulumi/pulumi itself when it evaluates the program under mocks (../offline/simulate.ts); the
// program declares resources and serializes no closure.
//
// So each is registered in require's cache as a deferred module before the Automation API is
// imported: an object whose first use (any property read) loads the real module and hands it over.
// Nothing changes for code that uses them; code that never does never pays for them. The real module
// then replaces the deferred one in the cache, so later requires get it directly.

import Module, { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The modules deferred, as resolved from where @pulumi/pulumi requires them. */
function deferredPaths(): string[] {
  const sdk = require.resolve("@pulumi/pulumi/runtime/closure/codePaths.js");
  return [require.resolve("@pulumi/pulumi/typescript-shim.js"), createRequire(sdk).resolve("@npmcli/arborist")];
}

/** A module that loads the real one at its first use (see the top of this file). */
function deferredModule(path: string): Module {
  let real: Record<PropertyKey, unknown> | undefined;
  const load = () => {
    if (!real) {
      delete require.cache[path];
      real = require(path) as Record<PropertyKey, unknown>;
    }
    return real;
  };
  const m = new Module(path);
  m.filename = path;
  m.loaded = true;
  m.exports = new Proxy(
    {},
    {
      // TypeScript's __importStar (how codePaths.js imports arborist) copies every property of a
      // CommonJS module at import time; a module that says it is an ES module is used as it is.
      get: (_, key) => (key === "__esModule" ? true : load()[key]),
      has: (_, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Object.getOwnPropertyDescriptor(load(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
  return m;
}

/**
 * Defers TypeScript and arborist (see the top of this file). Call before importing the Automation
 * API or @pulumi/pulumi; a module already in the cache, deferred or real, is left as it is.
 */
export function deferInlineProgramModules(): void {
  for (const path of deferredPaths()) require.cache[path] ??= deferredModule(path);
}
