// @ts-check
// The stack's post-deploy check, run by its @pulumi/command `local.Command` (textslash-stack.ts) from
// the project folder as `node components/deployment-check/main.mjs`: polls the relay's public /health
// until it answers 200 {"ok": true}. Exits 0 with one line on stdout, or 1 with what did not answer
// and what to look at on stderr, which the command provider puts in the failed step's message.
import { DEFAULT_POLL, waitUntilAnswering } from "./poll.mjs";
import { checkSettings, parseEndpoints, viaSandboxProxy } from "./settings.mjs";

/** @type {import("./poll.mjs").PollDeps["get"]} */
async function get(url, timeoutMs) {
  const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs), headers: { "user-agent": "textslash-deployment-check" } });
  return { status: res.status, location: res.headers.get("location"), body: await res.text() };
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

main().catch((/** @type {unknown} */ err) => {
  // The message is the whole answer (endpoint, URL, last answer, hint); a stack trace would only bury it.
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
