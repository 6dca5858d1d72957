// test/helpers/tls.ts trustExtraCertificates: what NODE_EXTRA_CA_CERTS does for an in-process run,
// and the one client context it keeps per certificate (each built node's ~150 roots into a store).
import { afterEach, expect, test, vi } from "vitest";
import https from "node:https";
import tls from "node:tls";
import { serveLocally } from "../helpers/local-server.js";
import { trustExtraCertificates } from "../helpers/tls.js";

afterEach(() => vi.restoreAllMocks());

/** A GET on a connection of its own (no agent keeps it for the next call). */
const get = (url: string) =>
  new Promise<string>((resolve, reject) => {
    https.get(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve(body));
    }).on("error", reject);
  });

test("runs trusting one server's certificate build one client context between them; a run without it is still refused", async () => {
  const server = await serveLocally(async (_req, res) => void res.end("ok"), { tls: true, errorBody: String });
  const built = vi.spyOn(tls, "createSecureContext");
  try {
    for (let run = 0; run < 3; run++) {
      const undo = trustExtraCertificates(server.caFile!);
      try {
        expect(await get(server.url)).toBe("ok");
      } finally {
        undo();
      }
    }
    expect(built.mock.calls.filter(([options]) => Array.isArray(options?.ca)).length).toBe(1);
    await expect(get(server.url)).rejects.toThrow(/self-signed certificate/);
  } finally {
    await server.close();
  }
});
