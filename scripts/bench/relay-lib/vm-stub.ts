// A stand-in VM for the relay benchmarks: takes every task at once (202) and counts each task id,
// so a run can check that every acknowledged message arrived exactly once.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface VmStub {
  url: string;
  /** How many times each task id was handed over. */
  received: Map<string, number>;
  /** Answer tasks with this status instead (503: the VM is "booting", tasks wait in the outbox). */
  setStatus(status: number): void;
  close(): Promise<void>;
}

export async function startVmStub(): Promise<VmStub> {
  const received = new Map<string, number>();
  let status = 202;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/tasks" && status < 300) {
        const id = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: string }).id;
        received.set(id, (received.get(id) ?? 0) + 1);
      }
      if (req.url === "/cancel") {
        res.writeHead(200, { "content-type": "application/json" }).end('{"cancelledQueued":0,"stoppedRunning":false}');
        return;
      }
      res.writeHead(status, { "content-type": "application/json" }).end('{"accepted":true}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    setStatus: (s) => (status = s),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
