// A tiny scripted HTTP server for client tests: each request takes the next scripted reply, and every
// request is recorded (method, url, headers, body). Independent of the local Fly API on purpose.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type ScriptedReply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Drop the connection without answering (a network error for the client). */
  | { drop: true }
  /** Never answer (the client's timeout must fire). */
  | { hang: true };

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Replies used in order; once used up, `fallback` answers. */
  script(...replies: ScriptedReply[]): void;
  fallback: ScriptedReply;
  /** Forgets recorded requests and unused replies, and restores the default fallback (a 500). */
  reset(): void;
  close(): Promise<void>;
}

export async function startScriptedServer(): Promise<ScriptedServer> {
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  const state = { fallback: { status: 500, body: { error: "no scripted reply left" } } as ScriptedReply };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const reply = queue.shift() ?? state.fallback;
      if ("drop" in reply) {
        req.socket.destroy();
        return;
      }
      if ("hang" in reply) return;
      const text = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...replies) => queue.push(...replies),
    get fallback() {
      return state.fallback;
    },
    set fallback(reply: ScriptedReply) {
      state.fallback = reply;
    },
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      state.fallback = { status: 500, body: { error: "no scripted reply left" } };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
