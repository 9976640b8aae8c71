// A local HTTP server for a test that plays a remote service (a registry, say): listens on a free
// loopback port, records each request as "METHOD /path", and closes when the test is done.
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";

export interface LocalHttp {
  /** host:port, as an image reference names a registry. */
  host: string;
  /** Every request so far, as "METHOD /path?query". */
  asked: string[];
  close(): Promise<void>;
}

export async function startLocalHttp(handler: RequestListener): Promise<LocalHttp> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
