// Relay hot-path benchmark (not a test): the compiled relay as its own process with production
// logging, a stub VM and the fake Twilio in this process, and an open-loop generator in a third
// process sending signed webhooks at a fixed rate. Prints, per rate: ack latency from the intended
// send time (p50/p99/max), what was acknowledged, refused-with-a-reply or failed, the relay's CPU per
// message and peak memory, and whether every acknowledged message reached the VM exactly once.
// With --baseline <git ref> the same runs are made first against the relay at that ref (built from
// its own lockfile), and the ratios printed.
// A last run per variant starts with --preload messages already waiting in the outbox (the VM was
// asleep): operations that grow with the outbox show there, along with the start-up time.
// The machine is shared and noisy: --repeat N makes each run N times and adds a table of the
// min and median of each figure, with the load average at each run's start.
// Run: npm run bench:relay-load -- [--rates 200,500,1500] [--seconds 15] [--preload 20000] [--repeat 3] [--nice -10] [--baseline <ref>]
import { execSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { FakeTwilio } from "../../sandbox/fakes/fake-twilio";
import { bench, buildRelay, checkoutRelay, relayEnv, senders, startRelayProcess } from "./relay-lib/relay-process";
import { startVmStub } from "./relay-lib/vm-stub";
import { lossAndDuplicates, ms, runGenerator, summarise, table, type LoadSummary } from "./relay-lib/load";
import { freePort } from "./relay-lib/ports";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
};
const rates = arg("rates", "200,500,1500").split(",").map(Number);
const seconds = Number(arg("seconds", "15"));
const baselineRef = process.argv.includes("--baseline") ? arg("baseline", "") : undefined;
/** One more run per variant at the first rate, with this many messages already waiting in the outbox. */
const preload = Number(arg("preload", "20000"));
const repeat = Math.max(1, Number(arg("repeat", "1")));
/**
 * --nice -10 runs the relay and the generator ahead of everything else on the machine (root only):
 * roughly what a core of their own would give, to tell the relay's limits from the machine's.
 * With autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled) the kernel shares the CPU
 * between sessions first and a process's nice only counts inside its session, so the value is
 * also given to this session's autogroup (sched(7), "The autogroup feature"), which the relay and
 * the generator belong to.
 */
const nice = process.argv.includes("--nice") ? Number(arg("nice", "0")) : undefined;
if (nice !== undefined) {
  try {
    writeFileSync("/proc/self/autogroup", String(nice));
  } catch {
    // no autogroups here: the processes' own nice is all there is
  }
}
const allowed = senders(20);

interface Run extends LoadSummary {
  variant: string;
  rate: number;
  waiting: number;
  startMs: number;
  cpuPerMessageMs: number;
  peakRssMb: number;
  lost: number;
  duplicated: number;
  undrained: number;
  logLines: number;
  /** 1-minute load average when the run started. */
  load: number;
  /** Connections the kernel dropped because a listen queue was full during the run (whole machine). */
  listenOverflows: number;
}

/**
 * The kernel's count of connections dropped on a full listen queue (TcpExt ListenOverflows; the
 * whole machine, so other work shows too). Dropped SYNs are retried by the client after 1 s, 3 s,
 * 7 s…: a few of them explain multi-second answers that no process saw coming. NaN off Linux.
 */
function listenOverflows(): number {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").split("\n").filter((l) => l.startsWith("TcpExt:"));
    const [names, values] = lines.map((l) => l.trim().split(/\s+/));
    const i = names?.indexOf("ListenOverflows") ?? -1;
    return i > 0 ? Number(values?.[i]) : NaN;
  } catch {
    return NaN;
  }
}

/** Writes `count` messages into the outbox as an earlier relay left them (the format has not changed). */
function preloadOutbox(dataDir: string, count: number, from: string): string[] {
  const outbox = join(dataDir, "outbox");
  mkdirSync(outbox, { recursive: true });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `SMwaiting${String(i).padStart(24, "0")}`;
    const message = { id, from, text: `waiting ${i} ${"x".repeat(288)}`, media: [], receivedAt: new Date().toISOString() };
    writeFileSync(join(outbox, `${String(Date.now()).padStart(15, "0")}-${String(i).padStart(6, "0")}-${id}.json`), JSON.stringify(message));
    ids.push(id);
  }
  return ids;
}

async function measure(variant: string, dir: string, rate: number, waiting = 0): Promise<Run> {
  const load = loadavg()[0] ?? NaN;
  const dataDir = await mkdtemp(join(tmpdir(), "textslash-bench-relay-"));
  const preloaded = preloadOutbox(dataDir, waiting, allowed[0] ?? "");
  const vm = await startVmStub();
  const twilio = new FakeTwilio({ accountSid: bench.accountSid, authToken: bench.authToken });
  await twilio.start();
  const port = await freePort();
  // Per-sender limits off: this measures the hot path, not the flood protection.
  const extra = { RELAY_SENDER_QUEUE_LIMIT: "1000000", RELAY_SENDER_BURST: "1000000", RELAY_SENDER_PER_HOUR: "1000000000", RELAY_OUTBOX_LIMIT: "1000000" };
  const started = performance.now();
  const relay = await startRelayProcess({ dir, port, env: relayEnv({ dataDir, vmUrl: vm.url, twilioUrl: twilio.url, allowed, extra }), ...(nice === undefined ? {} : { nice }) });
  const startMs = performance.now() - started;
  try {
    const common = { url: relay.url, publicUrl: bench.publicUrl, authToken: bench.authToken, accountSid: bench.accountSid, to: bench.whatsAppNumber, senders: allowed, bodyChars: 300, timeoutMs: 60_000 };
    // Warm-up (JIT, connections), not counted; with a preloaded outbox it runs while that drains.
    if (waiting === 0) {
      await runGenerator({ ...common, rate: 100, seconds: 2 }, nice);
      await drain(relay.outbox, 120_000);
    }
    const cpuBefore = relay.cpuMs();
    const overflowsBefore = listenOverflows();
    const results = await runGenerator({ ...common, rate, seconds }, nice);
    const overflows = listenOverflows() - overflowsBefore;
    const acked = [...preloaded, ...results.filter((r) => r.outcome === "acked").map((r) => r.sid)];
    const drained = await drain(relay.outbox, 180_000, () => acked.every((id) => vm.received.has(id)));
    const cpu = relay.cpuMs() - cpuBefore;
    const summary = summarise(results);
    const { lost, duplicated } = lossAndDuplicates(results, vm.received);
    const lostWaiting = preloaded.filter((id) => !vm.received.has(id)).length;
    return { variant, rate, waiting, startMs, ...summary, lost: lost + lostWaiting, cpuPerMessageMs: cpu / results.length, peakRssMb: relay.peakRssMb(), duplicated, undrained: drained ? 0 : await relay.outbox(), logLines: relay.logLines(), load, listenOverflows: overflows };
  } finally {
    await relay.stop();
    await vm.close();
    await twilio.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Waits until the outbox is empty (and `also` holds); false on timeout. */
async function drain(outbox: () => Promise<number>, timeoutMs: number, also: () => boolean = () => true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await outbox()) === 0 && also()) return true;
    await sleep(200);
  }
  return false;
}

function goalFor(rate: number): { p99: string; rss: string } {
  if (rate <= 200) return { p99: "< 50 ms", rss: "< 128 MB" };
  if (rate <= 500) return { p99: "< 100 ms", rss: "" };
  return { p99: "sheds, no collapse", rss: "" };
}

/** Per rate and variant over the repeats: min and median of the latency, CPU and memory figures; totals of the counts. */
function summaryTable(runs: Run[], plan: [number, number][], variants: string[]): string {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  };
  const both = (values: number[], show: (v: number) => string) => `${show(Math.min(...values))} / ${show(median(values))}`;
  const rows = [["variant", "rate", "waiting", "runs", "load", "p50 min/med", "p99 min/med", "p99 goal", "CPU/msg min/med", "peak RSS max", "RSS goal", "told", "errors", "lost", "dup", "listen overflows"]];
  for (const [rate, waiting] of plan) {
    for (const variant of variants) {
      const set = runs.filter((r) => r.rate === rate && r.waiting === waiting && r.variant === variant);
      if (set.length === 0) continue;
      const goal = waiting > 0 ? { p99: "as without", rss: "" } : goalFor(rate);
      const sum = (pick: (r: Run) => number) => String(set.reduce((a, r) => a + pick(r), 0));
      rows.push([
        variant,
        `${rate}/s`,
        String(waiting),
        String(set.length),
        set.map((r) => r.load.toFixed(1)).join(", "),
        both(set.map((r) => r.p50), ms),
        both(set.map((r) => r.p99), ms),
        goal.p99,
        both(set.map((r) => r.cpuPerMessageMs), (v) => `${v.toFixed(2)} ms`),
        `${Math.max(...set.map((r) => r.peakRssMb)).toFixed(0)} MB`,
        goal.rss,
        sum((r) => r.told),
        sum((r) => r.errors),
        sum((r) => r.lost),
        sum((r) => r.duplicated),
        sum((r) => r.listenOverflows),
      ]);
    }
  }
  return table(rows);
}

async function main(): Promise<void> {
  console.log(`relay load benchmark: rates ${rates.join(", ")} req/s for ${seconds} s each, ${allowed.length} senders, 300-character messages`);
  console.log(`machine: ${execSync("uptime").toString().trim()} (${execSync("nproc").toString().trim()} cores)`);
  if (nice !== undefined) console.log(`relay and generator at nice ${nice}: they take the CPU ahead of the machine's other work`);
  const variants: [string, string][] = [];
  let removeBaseline: (() => Promise<void>) | undefined;
  if (baselineRef) {
    const baseline = await checkoutRelay(baselineRef);
    removeBaseline = baseline.remove;
    variants.push([`before (${baselineRef})`, baseline.dir]);
  }
  variants.push(["now", buildRelay()]);
  const runs: Run[] = [];
  const plan: [number, number][] = [...rates.map((r): [number, number] => [r, 0]), ...(preload > 0 ? [[rates[0] ?? 200, preload] as [number, number]] : [])];
  try {
    for (let round = 1; round <= repeat; round++) {
      for (const [rate, waiting] of plan) {
        for (const [variant, dir] of variants) {
          const run = await measure(variant, dir, rate, waiting);
          runs.push(run);
          console.log(`  ${repeat > 1 ? `[${round}/${repeat}] ` : ""}${variant} @ ${rate}/s, ${waiting} waiting, load ${run.load.toFixed(1)}: p99 ${ms(run.p99)}, acked ${run.acked}/${run.sent}, told ${run.told}, errors ${run.errors}, lost ${run.lost}, dup ${run.duplicated}, peak ${run.peakRssMb.toFixed(0)} MB`);
        }
      }
    }
  } finally {
    await removeBaseline?.();
  }
  const rows = [["variant", "rate", "waiting", "load", "start", "p50 ack", "p99 ack", "p99 goal", "max", "gen lag p99", ">15 s", "acked", "told", "errors", "CPU/msg", "peak RSS", "RSS goal", "lost", "dup", "undrained", "listen overflows"]];
  for (const r of runs) {
    const goal = r.waiting > 0 ? { p99: "as without", rss: "" } : goalFor(r.rate);
    rows.push([r.variant, `${r.rate}/s`, String(r.waiting), r.load.toFixed(1), ms(r.startMs), ms(r.p50), ms(r.p99), goal.p99, ms(r.max), ms(r.sendLagP99), String(r.overTwilioTimeout), String(r.acked), String(r.told), String(r.errors), `${r.cpuPerMessageMs.toFixed(2)} ms`, `${r.peakRssMb.toFixed(0)} MB`, goal.rss, String(r.lost), String(r.duplicated), String(r.undrained), String(r.listenOverflows)]);
  }
  console.log(`\n${table(rows)}`);
  console.log("goals: lost 0 and dup 0 in every run; 'told' = answered 200 with a <Message> (not kept, the sender is told); 'gen lag' = how late the generator itself sent (counted in the latencies)");
  if (repeat > 1) console.log(`\n${summaryTable(runs, plan, variants.map(([v]) => v))}`);
  if (baselineRef) {
    const ratios = [["rate", "p99 before/now", "peak RSS before/now", "CPU/msg before/now"]];
    for (const [rate, waiting] of plan) {
      const same = (r: Run) => r.rate === rate && r.waiting === waiting;
      const [before, now] = [runs.find((r) => same(r) && r.variant !== "now"), runs.find((r) => same(r) && r.variant === "now")];
      if (before && now) ratios.push([`${rate}/s${waiting ? `, ${waiting} waiting` : ""}`, `${(before.p99 / now.p99).toFixed(1)}×`, `${(before.peakRssMb / now.peakRssMb).toFixed(1)}×`, `${(before.cpuPerMessageMs / now.cpuPerMessageMs).toFixed(1)}×`]);
    }
    console.log(`\n${table(ratios)}`);
  }
  console.log(`\nmachine after: ${execSync("uptime").toString().trim()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
