// Deployment benchmark (not a test): the real program with the real CLI against the local Fly API
// with Fly-like latency, for a fresh `up`, a no-op `up` and a secret change. Prints wall time, API
// calls by method and operation, the critical path (the longest chain of API calls that must
// follow one another: app → secrets ∥ volume → machine create → wait started → checks) and how
// close the fresh up gets to it.
// Run: npx tsx scripts/bench/up.ts [latencyMs=150] [slowStartMs=2000] [--timeline] [--transpile-only] [--rate-limits]
import type { RequestLogEntry } from "../../sandbox/flyapi";
import { pathOnly, startFlyStack, type FlyStack } from "../../tests/engine/fly-stack";

const latencyMs = Number(process.argv[2] ?? 150);
const slowStartMs = Number(process.argv[3] ?? 2000);
const verbose = process.argv.includes("--timeline");
// Pulumi type-checks a TypeScript program with ts-node on every run unless told not to; this
// measures how much of a run that is (tsc already checks the program in CI).
const transpileOnly = process.argv.includes("--transpile-only");
// Fly's per-app, per-action rate limits (429 + Retry-After), which the client must ride out.
const rateLimits = process.argv.includes("--rate-limits");

interface ChainStep {
  step: string;
  ms: number;
}

/** Calls by "METHOD operation" (or path when the API knows no operation id), most frequent first. */
function callsByKind(log: RequestLogEntry[]): string[] {
  const counts = new Map<string, number>();
  for (const r of log) {
    const key = `${r.method} ${r.operation ?? pathOnly(r)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${String(n).padStart(4)}  ${k}`);
}

const sum = (rs: RequestLogEntry[]) => rs.reduce((t, r) => t + r.durationMs, 0);

/**
 * The chain of one app's calls that must run one after another, timed from the log: each step is
 * the API time the step needs (the checks step counts only its GETs, not the pauses between polls).
 */
function appChain(log: RequestLogEntry[], app: string): ChainStep[] {
  const base = `/v1/apps/${app}`;
  const one = (method: string, path: string) => log.filter((r) => r.method === method && pathOnly(r) === path);
  const machineCreate = one("POST", `${base}/machines`);
  const waits = log.filter((r) => r.method === "GET" && pathOnly(r).startsWith(`${base}/machines/`) && pathOnly(r).endsWith("/wait"));
  const lastWaitEnd = Math.max(0, ...waits.map((r) => r.startedAt + r.durationMs));
  const checkPolls = log.filter(
    (r) => r.method === "GET" && /^\/v1\/apps\/[^/]+\/machines\/[^/]+$/.test(pathOnly(r)) && pathOnly(r).startsWith(base) && r.startedAt >= lastWaitEnd,
  );
  return [
    // The create-app request names its app only in the body; both run at once, so take the longer.
    { step: "create app", ms: Math.max(0, ...log.filter((r) => r.method === "POST" && pathOnly(r) === "/v1/apps").map((r) => r.durationMs)) },
    // The volume's create lists the app's volumes first (to record one an earlier up never recorded).
    { step: "secrets ∥ volume", ms: Math.max(sum(one("POST", `${base}/secrets`)), sum(one("GET", `${base}/volumes`)) + sum(one("POST", `${base}/volumes`))) },
    // Create first lists the app's machines, to take over one of its name that an earlier up never recorded.
    { step: "list machines", ms: sum(one("GET", `${base}/machines`)) },
    { step: "create machine", ms: sum(machineCreate) },
    { step: "wait started", ms: sum(waits) },
    { step: "checks passing", ms: sum(checkPolls) },
  ];
}

async function timed(label: string, s: FlyStack, action: () => Promise<unknown>) {
  s.api.clearRequests();
  const start = Date.now();
  await action();
  const wallMs = Date.now() - start;
  const log = s.api.requests();
  const limited = log.filter((r) => r.status === 429).length;
  console.log(
    `\n== ${label}: ${(wallMs / 1000).toFixed(1)} s wall, ${log.length} API calls (${log.filter((r) => r.method !== "GET").length} writes, ${limited} answered 429)`,
  );
  for (const line of callsByKind(log)) console.log(line);
  if (log.length > 0) {
    const first = Math.min(...log.map((r) => r.startedAt));
    const last = Math.max(...log.map((r) => r.startedAt + r.durationMs));
    console.log(`  API window: first call at +${((first - start) / 1000).toFixed(1)} s, last answer at +${((last - start) / 1000).toFixed(1)} s`);
    if (verbose) {
      for (const r of log) console.log(`  +${((r.startedAt - start) / 1000).toFixed(2)} s ${String(r.durationMs).padStart(5)} ms  ${r.method} ${pathOnly(r)}`);
    }
  }
  return { wallMs, log };
}

async function main(): Promise<void> {
  const s = await startFlyStack({ stackName: "bench", env: transpileOnly ? { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } : {} });
  try {
    s.api.setFaults({ latencyMs, slowStartMs });
    s.api.setRateLimits(rateLimits);
    console.log(`local Fly API at ${s.api.url}: latency ${latencyMs} ms per call, machine start ${slowStartMs} ms${transpileOnly ? ", program transpiled only" : ""}${rateLimits ? ", Fly rate limits on" : ""}`);

    const fresh = await timed("fresh up", s, () => s.up());
    const chains = [s.relayApp, s.vmApp].map((app) => ({ app, steps: appChain(fresh.log, app) }));
    const total = (c: { steps: ChainStep[] }) => c.steps.reduce((t, x) => t + x.ms, 0);
    const critical = chains.reduce((a, b) => (total(b) > total(a) ? b : a));
    console.log(`\ncritical path (${critical.app}): ${critical.steps.map((x) => `${x.step} ${x.ms} ms`).join(" → ")}`);
    console.log(`  = ${(total(critical) / 1000).toFixed(1)} s of API time; fresh up wall / critical path = ${(fresh.wallMs / total(critical)).toFixed(2)}`);
    for (const c of chains) console.log(`  ${c.app}: ${(total(c) / 1000).toFixed(1)} s`);

    await timed("no-op up", s, () => s.up());
    await s.setConfig("anthropicApiKey", "fake-anthropic-key-bench", true);
    await timed("secret change (anthropicApiKey)", s, () => s.up());
  } finally {
    await s.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
