// Deployment benchmark (not a test): the textslash program against the empty-program floor, with
// the same CLI, backend kind and Node, run in pairs (alternating which goes first) so the ratios
// hold on a shared machine. Prints a table with each goal of issue 20 (items 1 and 2):
// - no-op `up` and `preview` ≤ 1.5× the floor, with warm caches and with cold ones: the floor with
//   an empty ts-node cache each time; textslash three ways: as a fresh checkout is after `npm ci`
//   (CI, Pulumi Deployments: bundles built and compile cache filled by `prepare`, nothing run yet),
//   after a pull (the program's and providers' sources changed: each run rebuilds both bundles) and
//   with nothing built or cached at all (an install without its scripts: each run compiles the
//   program and the providers and loads every module uncached);
// - a fresh `up` ≤ the floor + 1.2× the API critical path, and that path step by step, against the
//   local Fly API with Fly-like latency (150 ms a call, 2 s machine start).
// Run: npm run bench:deploy -- [--rounds 3] [--only fresh,noop,preview,cold] [--latency 150] [--slow-start 2000] [--timeline]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RequestLogEntry } from "../../sandbox/flyapi";
import { afterInstall, afterPull, nothingBuilt } from "./lib/cold-states";
import { apiWindowMs, criticalPath, describeChain, total } from "./lib/critical-path";
import { machineLine, printTable, type Row } from "./lib/report";
import { pairRatios, ratio, seconds, spread } from "./lib/stats";
import { benchWorkspace, type BenchWorkspace, type ProjectKind } from "./lib/workspace";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
};
const rounds = Number(arg("rounds", "3"));
const only = new Set(arg("only", "fresh,noop,preview,cold").split(","));
const latencyMs = Number(arg("latency", "150"));
const slowStartMs = Number(arg("slow-start", "2000"));
const timeline = process.argv.includes("--timeline");

interface Pair {
  floorMs: number;
  oursMs: number;
}

/** The two projects' runs of one pair, alternating which goes first. */
const orderOf = (i: number): ProjectKind[] => (i % 2 === 0 ? ["floor", "textslash"] : ["textslash", "floor"]);

/** Runs `args` in both projects `n` times; `env` is made anew before each run (a fresh cache dir, a cold state). */
async function pairs(ws: BenchWorkspace, label: string, n: number, args: string[], env: (kind: ProjectKind) => Promise<Record<string, string>>): Promise<Pair[]> {
  const out: Pair[] = [];
  for (let i = 0; i < n; i++) {
    const ms: Partial<Record<ProjectKind, number>> = {};
    for (const kind of orderOf(i)) ms[kind] = (await ws.pulumi(kind, [...args, "--stack", stackOf(kind)], await env(kind))).wallMs;
    out.push({ floorMs: ms.floor!, oursMs: ms.textslash! });
    console.log(`  ${label} #${i + 1}: textslash ${(ms.textslash! / 1000).toFixed(1)} s, floor ${(ms.floor! / 1000).toFixed(1)} s`);
  }
  return out;
}

let lastFresh = "fresh0";
const stackOf = (_kind: ProjectKind) => lastFresh;

function pairRow(what: string, ps: Pair[], goal: number): Row {
  const r = spread(pairRatios(ps.map((p) => p.oursMs), ps.map((p) => p.floorMs)));
  return {
    what,
    figure: `${seconds(spread(ps.map((p) => p.oursMs)))} vs floor ${seconds(spread(ps.map((p) => p.floorMs)))}: ${ratio(r)}`,
    goal: `≤ ${goal}× floor`,
    met: r.median <= goal,
  };
}

interface Fresh extends Pair {
  criticalMs: number;
  windowMs: number;
  probes: number;
  calls: number;
}

/**
 * Where the fresh up's time outside the API window goes: from the CLI's start to the first API
 * call (engine, program and plugin start-up, Checks) and from the last answer to the CLI's exit.
 */
function outsideTheApi(log: RequestLogEntry[], startedAt: number, wallMs: number): string {
  const first = Math.min(...log.map((r) => r.startedAt));
  const last = Math.max(...log.map((r) => r.startedAt + r.durationMs));
  const s = (n: number) => `${(n / 1000).toFixed(2)} s`;
  return `    outside the API window: ${s(first - startedAt)} before the first call, ${s(startedAt + wallMs - last)} after the last answer`;
}

async function freshUps(ws: BenchWorkspace, n: number): Promise<Fresh[]> {
  const out: Fresh[] = [];
  console.log(`\nfresh up (${latencyMs} ms per API call, ${slowStartMs} ms machine start), ${n} pair(s)`);
  for (let i = 0; i < n; i++) {
    lastFresh = `fresh${i}`;
    const prefix = `bench${i}`;
    await ws.createStack("floor", lastFresh);
    await ws.createStack("textslash", lastFresh, prefix);
    const ms: Partial<Record<ProjectKind, number>> = {};
    let log: RequestLogEntry[] = [];
    let oursStartedAt = 0;
    for (const kind of orderOf(i)) {
      ws.api.clearRequests();
      const startedAt = Date.now();
      ms[kind] = (await ws.pulumi(kind, ["up", "--yes", "--skip-preview", "--stack", lastFresh])).wallMs;
      if (kind === "textslash") [log, oursStartedAt] = [ws.api.requests(), startedAt];
    }
    const cp = criticalPath(log, [`${prefix}-relay`, `${prefix}-vm`]);
    const probes = cp.steps.filter((s) => s.probe).reduce((t, s) => t + s.calls, 0);
    out.push({ floorMs: ms.floor!, oursMs: ms.textslash!, criticalMs: total(cp.steps), windowMs: apiWindowMs(log), probes, calls: log.length });
    console.log(`  fresh #${i + 1}: textslash ${(ms.textslash! / 1000).toFixed(1)} s (${log.length} API calls, window ${(apiWindowMs(log) / 1000).toFixed(2)} s), floor ${(ms.floor! / 1000).toFixed(1)} s`);
    console.log(describeChain(cp));
    console.log(outsideTheApi(log, oursStartedAt, ms.textslash!));
    if (timeline) {
      const start = Math.min(...log.map((r) => r.startedAt));
      for (const r of log) console.log(`    +${((r.startedAt - start) / 1000).toFixed(2)} s ${String(r.durationMs).padStart(5)} ms  ${r.method} ${r.path}`);
    }
  }
  return out;
}

function freshRows(fresh: Fresh[]): Row[] {
  const over = spread(fresh.map((f) => (f.oursMs - f.floorMs) / f.criticalMs));
  return [
    {
      what: "fresh up",
      figure: `${seconds(spread(fresh.map((f) => f.oursMs)))}; floor ${seconds(spread(fresh.map((f) => f.floorMs)))}; (up − floor) / critical path ${ratio(over)}`,
      goal: "≤ floor + 1.2 × critical path",
      met: over.median <= 1.2,
    },
    {
      what: "API critical path",
      figure: `${seconds(spread(fresh.map((f) => f.criticalMs)))}, ${fresh[0]!.probes} probe call(s) on it; window ${seconds(spread(fresh.map((f) => f.windowMs)))}, ${fresh[0]!.calls} calls`,
      goal: "no probe the state answers",
      met: fresh.every((f) => f.probes === 0),
    },
  ];
}

async function main(): Promise<void> {
  console.log(`machine: ${machineLine()}`);
  const ws = await benchWorkspace();
  const caches = await mkdtemp(join(tmpdir(), "textslash-bench-caches-"));
  const rows: Row[] = [];
  const warm = async () => ({});
  // Cold: the floor's TypeScript with a fresh ts-node cache every run; the textslash copy put in
  // one of its cold states (lib/cold-states.ts) before each of its runs.
  const cold = (state: (dir: string) => Promise<void>) => async (kind: ProjectKind) => {
    if (kind === "textslash") await state(ws.dir("textslash"));
    return { TS_NODE_CACHE_DIRECTORY: await mkdtemp(join(caches, "ts-node-")) };
  };
  try {
    ws.api.setFaults({ latencyMs, slowStartMs });
    const fresh = await freshUps(ws, only.has("fresh") ? rounds : 1);
    if (only.has("fresh")) rows.push(...freshRows(fresh));
    ws.api.setFaults({});
    const up = ["up", "--yes", "--skip-preview"];
    if (only.has("noop")) {
      console.log(`\nno-op up, warm caches, ${rounds} pair(s)`);
      ws.api.clearRequests();
      rows.push(pairRow("no-op up, warm", await pairs(ws, "no-op up", rounds, up, warm), 1.5));
      const writes = ws.api.requests().filter((r) => r.method !== "GET").length;
      if (writes > 0) throw new Error(`a no-op up made ${writes} write call(s)`);
    }
    if (only.has("preview")) {
      console.log(`\npreview, warm caches, ${rounds} pair(s)`);
      rows.push(pairRow("preview, warm", await pairs(ws, "preview", rounds, ["preview"], warm), 1.5));
    }
    if (only.has("cold")) {
      console.log(`\nno-op up and preview, cold caches, ${rounds} pair(s) each`);
      rows.push(pairRow("no-op up, cold after npm ci", await pairs(ws, "no-op up cold, after npm ci", rounds, up, cold(afterInstall)), 1.5));
      rows.push(pairRow("preview, cold after npm ci", await pairs(ws, "preview cold, after npm ci", rounds, ["preview"], cold(afterInstall)), 1.5));
      rows.push(pairRow("no-op up, cold after a pull", await pairs(ws, "no-op up cold, after a pull", rounds, up, cold(afterPull)), 1.5));
      rows.push(pairRow("preview, cold after a pull", await pairs(ws, "preview cold, after a pull", rounds, ["preview"], cold(afterPull)), 1.5));
      rows.push(pairRow("no-op up, cold, nothing built", await pairs(ws, "no-op up cold, nothing built", rounds, up, cold(nothingBuilt)), 1.5));
      rows.push(pairRow("preview, cold, nothing built", await pairs(ws, "preview cold, nothing built", rounds, ["preview"], cold(nothingBuilt)), 1.5));
    }
  } finally {
    await ws.close();
    await rm(caches, { recursive: true, force: true });
  }
  printTable("Deployment (issue 20, items 1 and 2)", rows);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
