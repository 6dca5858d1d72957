// One local HTTP(S) server for the stand-ins of deployed things (test/exec-server, test/gate): on
// 127.0.0.1 and a free port, over HTTPS with a throwaway certificate when asked (children trust it
// through NODE_EXTRA_CA_CERTS=caFile), a handler's failure answered 500 with `errorBody`.

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { localCertificate, type LocalCertificate } from "./tls.js";

export interface LocalServer {
  url: string;
  /** PEM for NODE_EXTRA_CA_CERTS (HTTPS servers only). */
  caFile?: string;
  close(): Promise<void>;
}

export async function serveLocally(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  opts: { tls?: boolean | LocalCertificate; errorBody: (err: unknown) => unknown },
): Promise<LocalServer> {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(JSON.stringify(opts.errorBody(err)));
    });
  };
  let caFile: string | undefined;
  let server;
  if (opts.tls) {
    const tls = opts.tls === true ? await localCertificate() : opts.tls;
    caFile = tls.caFile;
    server = createHttpsServer({ key: tls.key, cert: tls.cert }, listener);
  } else server = createHttpServer(listener);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
    caFile,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
