// The engine's side of Pulumi's gRPC protocol, as the stand-in needs it: the generated messages and
// services that @pulumi/pulumi ships (proto/*_pb.js, the same files its runtime and @pulumi/policy
// speak), the gRPC library and google-protobuf copies those files were generated against, and the
// special values the property encoding uses. Loaded only on a memo miss (./memo.ts): the program
// and the policy pack then run in processes of their own, started by Pulumi's own entry points.

import { createRequire } from "node:module";
import { SECRET_SIG, SIG_KEY, type SecretPath } from "./secrets.js";

// Each generated file checks `arg instanceof Struct/Empty` against *its* google-protobuf, and the
// services are grpc-js definitions: everything is required through @pulumi/pulumi's own resolution.
const fromPulumi = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi/package.json"));

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf classes have no useful types here */
export const grpc = fromPulumi("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
export const resourceRpc = fromPulumi("./proto/resource_grpc_pb.js") as any;
export const resourceMsg = fromPulumi("./proto/resource_pb.js") as any;
export const providerMsg = fromPulumi("./proto/provider_pb.js") as any;
export const engineRpc = fromPulumi("./proto/engine_grpc_pb.js") as any;
export const engineMsg = fromPulumi("./proto/engine_pb.js") as any;
export const analyzerRpc = fromPulumi("./proto/analyzer_grpc_pb.js") as any;
export const analyzerMsg = fromPulumi("./proto/analyzer_pb.js") as any;
export const languageRpc = fromPulumi("./proto/language_grpc_pb.js") as any;
export const languageMsg = fromPulumi("./proto/language_pb.js") as any;
const protobufFrom = createRequire(fromPulumi.resolve("./proto/engine_pb.js"));
export const Struct = protobufFrom("google-protobuf/google/protobuf/struct_pb.js").Struct as any;
export const Empty = protobufFrom("google-protobuf/google/protobuf/empty_pb.js").Empty as any;
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * The property encoding's special values (sdk/go/common/resource/sig/sig.go): an object whose
 * `SIG_KEY` names what it is. The stand-in's resources are plain data, so a secret is its value,
 * its place recorded in `secrets` when given (./secrets.ts keeps it secret in the checkpoint); an
 * output value is its value when known. Anything else (a resource reference as an input, an unknown
 * during an update) is not simulated and is refused loudly rather than recorded wrong.
 */
const SIG = { secret: SECRET_SIG, outputValue: "d0e6a833031e9bbcd3f4e8bde6ca49a4", resourceReference: "5cf8f73096256a8f31e491e813e4eb8e" };
/** The unknown sentinel (sdk/nodejs/runtime/rpc.ts unknownValue). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function plainValue(value: unknown, where: string, secrets?: SecretPath[], at: SecretPath = []): unknown {
  if (value === UNKNOWN) throw new Error(`fake pulumi: ${where} is unknown; unknown inputs are not simulated`);
  if (Array.isArray(value)) return value.map((v, i) => plainValue(v, `${where}[${i}]`, secrets, [...at, i]));
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const sig = o[SIG_KEY];
    if (sig === SIG.secret) {
      secrets?.push(at);
      // Inside a secret nothing more needs marking: the whole value is sealed.
      return plainValue(o.value, where);
    }
    if (sig === SIG.outputValue) {
      if (!("value" in o)) throw new Error(`fake pulumi: ${where} is an unknown output value; not simulated`);
      // An output value marked secret (sdk/nodejs/runtime/rpc.ts serializeProperty: `secret: true`).
      if (o.secret === true) {
        secrets?.push(at);
        return plainValue(o.value, where);
      }
      return plainValue(o.value, where, secrets, at);
    }
    if (sig !== undefined) throw new Error(`fake pulumi: ${where} is a special value (${String(sig)}) the stand-in does not simulate`);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plainValue(v, `${where}.${k}`, secrets, [...at, k])]));
  }
  return value;
}

/** Starts a gRPC server on loopback with the given services; resolves with its address. */
export async function serve(services: Array<[service: unknown, implementation: Record<string, unknown>]>) {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  for (const [service, implementation] of services) server.addService(service as never, implementation as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

type Callback = (err: Error | null, response?: unknown) => void;
/** A unary handler from an async function: its result or its error goes to the callback. */
export const unary =
  <Req>(f: (request: Req) => unknown | Promise<unknown>) =>
  (call: { request: Req }, callback: Callback) => {
    Promise.resolve()
      .then(() => f(call.request))
      .then(
        (response) => callback(null, response),
        (err: Error) => callback(err),
      );
  };
