// A throwaway certificate for 127.0.0.1, shared by the local HTTPS stand-ins (ARM, the backend):
// the Azure SDK refuses bearer tokens over plain HTTP, and the backend's URL is https:// as Azure
// gives it. Children trust the certificate through NODE_EXTRA_CA_CERTS=caFile; manage run in a test
// worker through trustExtraCertificates.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import tls from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import selfsigned from "selfsigned";

export interface LocalCertificate {
  key: string;
  cert: string;
  /** PEM file to pass as NODE_EXTRA_CA_CERTS. */
  caFile: string;
}

export async function localCertificate(): Promise<LocalCertificate> {
  const pems = await selfsigned.generate([{ name: "commonName", value: "127.0.0.1" }], {
    days: 1,
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] }],
  } as never);
  const caFile = join(mkdtempSync(join(tmpdir(), "tls-")), "ca.pem");
  writeFileSync(caFile, pems.cert);
  return { key: pems.private, cert: pems.cert, caFile };
}

/** What tls.createSecureContext reads from a connection's options besides `ca` (node's lib/internal/tls/secure-context.js). */
const CONTEXT_OPTIONS = [
  "cert", "key", "pfx", "passphrase", "ciphers", "ecdhCurve", "minVersion", "maxVersion", "secureProtocol", "secureOptions", "honorCipherOrder",
  "sessionIdContext", "sigalgs", "crl", "dhparam", "privateKeyIdentifier", "privateKeyEngine", "clientCertEngine", "ticketKeys", "sessionTimeout", "allowPartialTrustChain",
] as const satisfies ReadonlyArray<keyof tls.SecureContextOptions>;

/** One client context per extra certificate trusted (trustExtraCertificates). */
const contexts = new Map<string, tls.SecureContext>();
function contextTrusting(extra: string, ca: string[]): tls.SecureContext {
  let context = contexts.get(extra);
  if (!context) contexts.set(extra, (context = tls.createSecureContext({ ca })));
  return context;
}

/** Node's https.Agent keeps each server's last TLS session, so a later connection resumes it. */
type SessionCache = { _cacheSession(key: string, session: Buffer): void; _evictSession(key: string): void };

/**
 * What NODE_EXTRA_CA_CERTS=file does for a process, for an in-process run of manage in this worker
 * (node reads the variable only at start): a TLS connection made without a `ca` of its own trusts
 * the file's certificates besides node's roots. Both of manage's HTTPS clients, fetch (undici) and
 * the Azure SDK's https.Agent, connect through tls.connect. Returns the undo, which also forgets the
 * TLS sessions https.Agents kept while trusting, as the process's end would: the Azure SDK keeps one
 * agent for the whole worker (@azure/core-client getCachedDefaultHttpClient), and a later run
 * without the file resumed the trusted run's session to the same server, which checks no
 * certificate (review rv12; fetch's pool and its sessions are replaced: ./project.ts freshConnections).
 */
export function trustExtraCertificates(file: string): () => void {
  const extra = readFileSync(file, "utf8");
  const ca = [...tls.rootCertificates, extra];
  // A process builds its store of node's roots and the file's once, at start. A `ca` alone builds it
  // again for each connection (~150 certificates parsed: ~15 ms of CPU, ~14 s over a suite run's
  // in-worker connections), so a connection that shapes no context of its own also gets a context
  // made once from the same `ca` (tls.connect would build the same from its options). The `ca` stays
  // in its options all the same: an https.Agent files a freed socket under a name that includes it,
  // so a run without the file never reuses a connection a trusted run opened. The context is kept for
  // the next run trusting the same certificate (a test's runs against one server): a client context
  // holds the store and settings only, no session (those are the agents', forgotten by the undo).
  const connect = tls.connect;
  const trusting = function (this: unknown, ...args: unknown[]) {
    const options = args.find((a): a is tls.ConnectionOptions => typeof a === "object" && a !== null);
    if (options && options.ca === undefined && options.secureContext === undefined) {
      options.ca = ca;
      if (!CONTEXT_OPTIONS.some((key) => options[key] !== undefined)) options.secureContext = contextTrusting(extra, ca);
    }
    return (connect as (...a: unknown[]) => tls.TLSSocket).apply(this, args);
  };
  const agents = https.Agent.prototype as unknown as SessionCache;
  const cacheSession = agents._cacheSession;
  const cached: Array<[SessionCache, string]> = [];
  agents._cacheSession = function (this: SessionCache, key: string, session: Buffer) {
    cached.push([this, key]);
    return cacheSession.call(this, key, session);
  };
  (tls as { connect: unknown }).connect = trusting;
  return () => {
    (tls as { connect: unknown }).connect = connect;
    agents._cacheSession = cacheSession;
    for (const [agent, key] of cached) agent._evictSession(key);
  };
}
