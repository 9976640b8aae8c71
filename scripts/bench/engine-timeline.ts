// Where a fresh `up` and a no-op `up` of the textslash program spend their time, read from the
// engine's own log (`-v=9 --logflow`, Pulumi's JSON log file in the temp folder): when each plugin
// is launched and first answers, when each resource registers, and the provider calls around them,
// in milliseconds from the CLI's start. Not a benchmark (the verbose log slows every run); it is how
// docs/deploy-benchmarks.md finds what lies between a run's start and its first API call.
// Run: npm run bench:deploy-timeline -- [--latency 150] [--slow-start 2000]
import { readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterInstall, afterPull, nothingBuilt } from "./lib/cold-states";
import { benchWorkspace } from "./lib/workspace";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const latencyMs = Number(arg("latency", "150"));
const slowStartMs = Number(arg("slow-start", "2000"));

/**
 * The engine's log lines worth a row: plugins, registrations, provider calls, and the answers of the
 * calls that take time (Create, Update), so a step's end is a row of its own.
 */
const interesting =
  /[Ll]aunching plugin|GetPluginInfo\(\) executing|\.(CheckConfig|Configure|Check|Create|Update|Invoke)\(.*executing|\.(Create|Update)\(.*success|ResourceMonitor\.RegisterResource(Outputs)? received|langhost\[nodejs\]\.Run|killing plugin/;

/** The newest Pulumi log file written since `since` (the CLI names it pulumi.<host>.<user>.log.INFO.*). */
async function newestLog(since: number): Promise<string> {
  let newest: { file: string; mtime: number } | undefined;
  for (const name of (await readdir(tmpdir())).filter((n) => /^pulumi\..*INFO/.test(n))) {
    const file = path.join(tmpdir(), name);
    const { mtimeMs } = await stat(file);
    if (mtimeMs >= since && (!newest || mtimeMs > newest.mtime)) newest = { file, mtime: mtimeMs };
  }
  if (!newest) throw new Error(`no Pulumi log file in ${tmpdir()} since the run started`);
  return newest.file;
}

async function show(label: string, run: () => Promise<unknown>): Promise<void> {
  const since = Date.now() - 1000;
  const started = Date.now();
  await run();
  console.log(`\n== ${label}: ${Date.now() - started} ms`);
  let first: number | undefined;
  for (const line of (await readFile(await newestLog(since), "utf8")).split("\n")) {
    let entry: { time?: string; msg?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (!entry.time || !entry.msg) continue;
    const ms = Date.parse(entry.time) + Number(/\.\d{3}(\d{3})/.exec(entry.time)?.[1] ?? 0) / 1000;
    first ??= ms;
    if (interesting.test(entry.msg)) console.log(`${String(Math.round(ms - first)).padStart(6)}  ${entry.msg.slice(0, 170)}`);
  }
}

async function main(): Promise<void> {
  const ws = await benchWorkspace();
  try {
    await ws.createStack("textslash", "timeline");
    const args = ["up", "--yes", "--skip-preview", "--stack", "timeline", "-v=9", "--logflow"];
    // One up first, so the timed ones find the bundles built and the caches warm.
    await ws.createStack("textslash", "timeline-warmup");
    await ws.pulumi("textslash", ["up", "--yes", "--skip-preview", "--stack", "timeline-warmup"]);
    ws.api.setFaults({ latencyMs, slowStartMs });
    await show(`fresh up (${latencyMs} ms per API call, ${slowStartMs} ms machine start)`, () => ws.pulumi("textslash", args));
    ws.api.setFaults({});
    await show("no-op up", () => ws.pulumi("textslash", args));
    // Cold as the benchmark's cold rows (lib/cold-states.ts): after npm ci, after a pull, nothing built.
    const dir = ws.dir("textslash");
    await afterInstall(dir);
    await show("no-op up, cold after npm ci", () => ws.pulumi("textslash", args));
    await afterPull(dir);
    await show("no-op up, cold after a pull", () => ws.pulumi("textslash", args));
    await nothingBuilt(dir);
    await show("no-op up, cold, nothing built", () => ws.pulumi("textslash", args));
  } finally {
    await ws.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
