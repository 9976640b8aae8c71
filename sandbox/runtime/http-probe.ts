// One HTTP check probe, as Fly runs it: a fresh connection per probe, the response body kept as the
// check's output (flyctl#1306: machine check output "can be used directly"). A pooled keep-alive
// socket would race the service's own keep-alive timeout and fail probes with "fetch failed".
import http from "node:http";

export interface ProbeResult {
  status: number;
  body: string;
}

export function probeHttp(port: number, path: string, timeoutMs = 2_000, maxBody = 4096): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < maxBody) body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, maxBody) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}
