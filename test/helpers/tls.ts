// A throwaway certificate for 127.0.0.1, shared by the local HTTPS stand-ins (ARM, the backend):
// the Azure SDK refuses bearer tokens over plain HTTP, and the backend's URL is https:// as Azure
// gives it. Children trust the certificate through NODE_EXTRA_CA_CERTS=caFile.

import { mkdtempSync, writeFileSync } from "node:fs";
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
