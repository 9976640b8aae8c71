// A local git server for the tests: git's own smart-HTTP CGI (git http-backend) behind a small HTTP
// server that, like GitHub, asks for Basic credentials (401 + WWW-Authenticate) and takes only the
// given token as the password. Serves bare repositories under a temporary folder.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

export interface GitServer {
  /** host:port, as git's credential helper sees it. */
  host: string;
  url: string;
  root: string;
  /** Every request's method, path and whether its credentials were accepted. */
  requests: { method: string; path: string; authorized: boolean }[];
  createRepo(name: string): void;
  log(name: string): string;
  stop(): Promise<void>;
}

const httpBackend = execFileSync("git", ["--exec-path"], { encoding: "utf8" }).trim() + "/git-http-backend";

export async function startGitServer(token: string): Promise<GitServer> {
  const root = mkdtempSync(path.join(os.tmpdir(), "git-server-"));
  const requests: GitServer["requests"] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const header = req.headers.authorization ?? "";
    const [user, password] = Buffer.from(header.replace(/^Basic /, ""), "base64").toString().split(":");
    const authorized = header.startsWith("Basic ") && password === token && user !== undefined;
    requests.push({ method: req.method ?? "", path: url.pathname, authorized });
    if (!authorized) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="textslash test git"' }).end("credentials required\n");
      return;
    }
    const cgi = spawn(httpBackend, [], {
      env: {
        GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: "1", REMOTE_USER: user, PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1), REQUEST_METHOD: req.method ?? "GET", CONTENT_TYPE: req.headers["content-type"] ?? "",
        PATH: process.env.PATH ?? "",
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split("\r\n")) {
        const [name = "", ...rest] = line.split(":");
        const value = rest.join(":").trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.once("close", () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    root,
    requests,
    createRepo(name) {
      execFileSync("git", ["init", "--bare", "--quiet", "--initial-branch=main", path.join(root, name)]);
      execFileSync("git", ["config", "--file", path.join(root, name, "config"), "http.receivepack", "true"]);
    },
    log(name) {
      return execFileSync("git", ["--git-dir", path.join(root, name), "log", "--format=%an: %s", "main"], { encoding: "utf8" });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
