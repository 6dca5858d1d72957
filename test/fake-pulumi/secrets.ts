// Secrets in the stand-in's state, as the real engine keeps them (pulumi/pulumi v3.230.0):
//
// - What is secret: a value the program marked (pulumi.secret: the SDK sends it as the special
//   object {SIG_KEY: SECRET_SIG, value}, sdk/go/common/resource/sig/sig.go); a resource output
//   named in the resource's additionalSecretOutputs (pkg/resource/deploy/step_executor.go, the
//   loop over newState.AdditionalSecretOutputs); and a provider output whose input of the same name
//   held a secret (sdk/go/common/resource/plugin/provider_plugin.go annotateSecrets: objects are
//   followed key by key, anything else is secret whole).
// - How the checkpoint stores one: the envelope {"4dabf18193072939515e22adb298388d":
//   "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "..."} (apitype.SecretV1,
//   sdk/go/common/apitype/core.go), the ciphertext being the stack's secrets manager's encryption of
//   the value's JSON (pkg/resource/stack/deployment.go SerializePropertyValue). `stack export
//   --show-secrets` writes "plaintext" (that JSON) instead of "ciphertext".
// - How `stack output` shows one: "[secret]" unless --show-secrets (pkg/cmd/pulumi/stack/
//   stack_output.go: a blinding secrets provider, then display.MassageSecrets).
//
// The secrets manager is the passphrase one (the DIY backend's default, and manage's embedded
// backend's): AES-256-GCM, written "v1:<base64 nonce>:<base64 ciphertext>" (sdk/go/common/resource/
// config/crypt.go symmetricCrypter). Two named departures, neither visible to a caller: the key is
// one SHA-256 of the passphrase and the stack's salt rather than PBKDF2's 1,000,000 rounds
// (crypt.go:168; ~0.3 s a call that the stand-in makes on every read), and the nonce is derived from
// the value rather than drawn at random, so an unchanged secret keeps its ciphertext from one
// checkpoint to the next, as the engine's caching secrets manager keeps it
// (pkg/resource/stack/secrets.go NewBatchingCachingSecretsManager).
//
// In memory the stand-in keeps values plain (the mocks, the plan's diffs and the policy pack see
// them as before) and remembers where the secrets are: a list of paths per resource.

import { createCipheriv, createDecipheriv, createHash, createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Where a secret sits in a property map: its keys (and array indices) from the top. */
export type SecretPath = Array<string | number>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const samePath = (a: SecretPath, b: SecretPath) => a.length === b.length && a.every((k, i) => k === b[i]);
const startsWith = (path: SecretPath, prefix: SecretPath) => prefix.length <= path.length && prefix.every((k, i) => k === path[i]);

/**
 * annotateSecrets (provider_plugin.go) plus additionalSecretOutputs (step_executor.go): the output
 * paths that are secret, given the secret paths of the inputs.
 */
export function secretOutputPaths(inputs: Record<string, unknown>, outputs: Record<string, unknown>, secretInputs: SecretPath[], additional: string[] = []): SecretPath[] {
  const found: SecretPath[] = [];
  const add = (p: SecretPath) => {
    if (!found.some((f) => startsWith(p, f))) found.push(p);
  };
  for (const input of secretInputs) {
    let ins: unknown = inputs;
    let outs: unknown = outputs;
    for (let i = 0; i < input.length; i++) {
      const key = input[i]!;
      if (!isObject(ins) || !isObject(outs) || typeof key !== "string" || !(key in outs)) break;
      const [inValue, outValue] = [ins[key], outs[key]];
      if (isObject(inValue) && isObject(outValue) && i < input.length - 1) {
        ins = inValue;
        outs = outValue;
        continue;
      }
      add(input.slice(0, i + 1));
      break;
    }
  }
  for (const key of additional) if (key !== "id" && key in outputs) add([key]);
  return found;
}

/** A crypter for one stack: the passphrase (PULUMI_CONFIG_PASSPHRASE or its file) and the stack's salt. */
export function crypterFor(stack: string, salt: string | undefined, env: NodeJS.ProcessEnv = process.env) {
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  const passphrase = env.PULUMI_CONFIG_PASSPHRASE ?? (file && existsSync(resolve(file)) ? readFileSync(resolve(file), "utf8") : "");
  const key = createHash("sha256").update(`${salt ?? `stack:${stack}`}\0${passphrase}`).digest();
  return {
    encrypt(plaintext: string): string {
      const nonce = createHmac("sha256", key).update(plaintext).digest().subarray(0, 12);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
    },
    /** The plaintext, or null when this key cannot open it (another passphrase). */
    decrypt(ciphertext: string): string | null {
      const [version, nonce, sealed] = ciphertext.split(":");
      if (version !== "v1" || !nonce || !sealed) return null;
      const bytes = Buffer.from(sealed, "base64");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString("utf8");
      } catch {
        return null;
      }
    },
  };
}
export type Crypter = ReturnType<typeof crypterFor>;

/** The value with each secret path replaced by `replace(value at that path)`. */
function replaceAt(value: unknown, paths: SecretPath[], replace: (secret: unknown) => unknown, at: SecretPath = []): unknown {
  if (paths.some((p) => samePath(p, at))) return replace(value);
  if (!paths.some((p) => startsWith(p, at))) return value;
  if (Array.isArray(value)) return value.map((v, i) => replaceAt(v, paths, replace, [...at, i]));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceAt(v, paths, replace, [...at, k])]));
  return value;
}

/** As the checkpoint stores it: each secret an envelope with its ciphertext (or, `show`, its plaintext: `stack export --show-secrets`). */
export function seal(value: Record<string, unknown>, paths: SecretPath[] | undefined, crypter: Crypter, show = false): Record<string, unknown> {
  if (!paths?.length) return value;
  return replaceAt(value, paths, (secret) => {
    const plaintext = JSON.stringify(secret);
    return { [SIG_KEY]: SECRET_SIG, ...(show ? { plaintext } : { ciphertext: crypter.encrypt(plaintext) }) };
  }) as Record<string, unknown>;
}

/** As `stack output` shows it without --show-secrets: each secret "[secret]" (display.MassageSecrets). */
export const mask = (value: Record<string, unknown>, paths: SecretPath[] | undefined): Record<string, unknown> =>
  paths?.length ? (replaceAt(value, paths, () => "[secret]") as Record<string, unknown>) : value;

/** What the passphrase manager says when its key cannot open a ciphertext (manager.go errorCrypter.DecryptValue). */
export const DECRYPT_FAILURE =
  "failed to decrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase or set PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase";

/**
 * A checkpoint's property map read back: each envelope opened to its value, and where it was. A
 * ciphertext this stack's key cannot open fails the read, as the passphrase manager does.
 */
export function open(value: Record<string, unknown> | undefined, crypter: Crypter): { value: Record<string, unknown>; paths: SecretPath[] } {
  const paths: SecretPath[] = [];
  const walk = (v: unknown, at: SecretPath): unknown => {
    if (Array.isArray(v)) return v.map((e, i) => walk(e, [...at, i]));
    if (!isObject(v)) return v;
    if (v[SIG_KEY] === SECRET_SIG) {
      const plaintext = typeof v.plaintext === "string" ? v.plaintext : crypter.decrypt(String(v.ciphertext ?? ""));
      // The locked passphrase manager's words (pkg/secrets/passphrase/manager.go errorCrypter).
      if (plaintext === null) throw new Error(DECRYPT_FAILURE);
      paths.push(at);
      return JSON.parse(plaintext) as unknown;
    }
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, [...at, k])]));
  };
  return { value: (walk(value ?? {}, []) ?? {}) as Record<string, unknown>, paths };
}

/**
 * As the resource monitor hands a property map to the program (KeepSecrets: the SDK supports
 * secrets): each secret the SDK's special object {SIG_KEY: SECRET_SIG, value}.
 */
export const wire = (value: Record<string, unknown>, paths: SecretPath[] | undefined): Record<string, unknown> =>
  paths?.length ? (replaceAt(value, paths, (secret) => ({ [SIG_KEY]: SECRET_SIG, value: secret })) as Record<string, unknown>) : value;

/** Whether a value holds a secret in the SDK's wire form anywhere (resource.PropertyValue HasSecrets). */
export function hasSecrets(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasSecrets);
  if (!isObject(v)) return false;
  return v[SIG_KEY] === SECRET_SIG || Object.values(v).some(hasSecrets);
}
