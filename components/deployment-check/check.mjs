// @ts-check
// The stack's post-deploy check, run by its @pulumi/command `local.Command` (textslash-stack.ts) from
// the project folder as `node components/deployment-check/main.mjs`, which runs this module's
// runCheck (bundled: components/bundles.cjs): polls the relay's public /health until it answers
// 200 {"ok": true}. Exits 0 with one line on stdout, or 1 with what did not answer and what to look
// at on stderr, which the command provider puts in the failed step's message. Loading it does
// nothing, so the compile cache's warmer can load it.
import http from "node:http";
import https from "node:https";
import { DEFAULT_POLL, waitUntilAnswering } from "./poll.mjs";
import { checkSettings, parseEndpoints, viaSandboxProxy } from "./settings.mjs";

/**
 * One GET, redirects not followed. node:http rather than fetch: fetch loads undici on first use, which
 * doubled this process's CPU (0.12 against 0.05 CPU-s for one request), paid on every deploy.
 * @type {import("./poll.mjs").PollDeps["get"]}
 */
function get(url, timeoutMs) {
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers: { "user-agent": "textslash-deployment-check" }, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? null, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

async function main() {
  const settings = checkSettings(process.env);
  if (settings.skip) {
    console.log("deployment check skipped (TEXTSLASH_DEPLOYMENT_CHECK=skip)");
    return;
  }
  const endpoints = parseEndpoints(process.env.TEXTSLASH_CHECK_ENDPOINTS).map((e) => ({ ...e, url: viaSandboxProxy(e.url, settings.proxyUrl) }));
  const started = Date.now();
  const { attempts } = await waitUntilAnswering(
    endpoints,
    { get, now: Date.now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    { ...DEFAULT_POLL, timeoutMs: settings.timeoutMs },
  );
  const names = endpoints.map((e) => e.name).join(", ");
  console.log(`${names} answered from outside (${attempts} request${attempts === 1 ? "" : "s"}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** The check, as the process runs it: its failure is the exit code and the message on stderr. */
export async function runCheck() {
  await main().catch((/** @type {unknown} */ err) => {
    // The message is the whole answer (endpoint, URL, last answer, hint); a stack trace would only bury it.
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
