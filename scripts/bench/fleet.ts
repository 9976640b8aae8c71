// Fleet benchmark (not a test): provisions N users with `fleet up` and rolls a new VM image across them
// with `fleet rollout`, against the local Fly API with Fly-like latency and Fly's rate limits on, for
// each N given. Prints wall time, API calls per user, 429s answered (and ridden out: every user must
// end updated), per-user time, and the projection to 1,000 users.
//
// Fly's Machines API limits (the local API's token buckets, sandbox/flyapi/ratelimit.ts): "1 request,
// per second, per action" per machine, bursts of 3, and get-machine 5/s bursting to 10
// (community.fly.io/t/understanding-fly-io-api-rate-hard-limits/20636, Fly staff; since published in
// Fly's Machines API docs). They are per app or machine, so users (each with their own apps) do not
// share buckets: what bounds the fleet's concurrency here is CPU, and `--concurrency` is that bound.
//
// Run: npm run bench:fleet -- [--users 10,50,200] [--concurrency 4] [--wave-size <concurrency>] [--latency 100]
//        [--program inline|cli] [--type-check] [--breakdown]
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import * as automation from "@pulumi/pulumi/automation";
import { FleetEngine } from "../../fleet/engine";
import { parseFleet } from "../../fleet/files";
import { fleetRollout, fleetUp, type FleetContext } from "../../fleet/operations";
import { startFlyApi, type RequestLogEntry } from "../../sandbox/flyapi";
import { createEngineProject, pulumiBinDir } from "../../tests/engine/harness";
import { fakeAccountSid, fakeSecrets, flyToken, programFiles, stackEnv } from "../../tests/engine/fly-stack";
import { startTestRegistry } from "../../tests/engine/test-registry";
import { sampleChildProcessCpu } from "./lib/process-cpu";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "10,50" },
    concurrency: { type: "string", default: "4" },
    "wave-size": { type: "string" },
    latency: { type: "string", default: "100" },
    // The fleet skips ts-node's type check of the program (fleet/engine.ts); this measures it with the check.
    "type-check": { type: "boolean", default: false },
    // inline (the fleet's default): the program runs in this process; cli: index.ts with a language host per run.
    program: { type: "string", default: "inline" },
    // Where the CPU goes, by kind of process (sampled from /proc: scripts/bench/lib/process-cpu.ts).
    breakdown: { type: "boolean", default: false },
  },
});
const sizes = values.users.split(",").map(Number);
const concurrency = Number(values.concurrency);
const waveSize = Number(values["wave-size"] ?? values.concurrency);
const latencyMs = Number(values.latency);
const cores = cpus().length;
if (values.program !== "inline" && values.program !== "cli") throw new Error(`--program must be inline or cli (got ${values.program})`);
const program = values.program;

/** Drains the local API's request log as it goes (it keeps only the last 5000 entries). */
function collector(api: { requests(): RequestLogEntry[]; clearRequests(): void }) {
  let seen: RequestLogEntry[] = [];
  const drain = () => {
    // Same process, same event loop: nothing is logged between these two calls.
    seen = seen.concat(api.requests());
    api.clearRequests();
  };
  const timer = setInterval(drain, 200);
  return {
    take(): RequestLogEntry[] {
      drain();
      const out = seen;
      seen = [];
      return out;
    },
    stop: () => clearInterval(timer),
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * CPU seconds of this process (the fleet driver, an inline program, and the local Fly API) and of
 * every child it has waited for (each pulumi run, with its language host, program and provider
 * plugins): /proc/self/stat utime + stime, cutime + cstime, in clock ticks (100 per second on Linux).
 */
function cpuSeconds(): { self: number; children: number; total: number } {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ").map(Number);
  // After "pid (comm) ", field 3 is index 0: utime is field 14, so index 11..14 are utime, stime, cutime, cstime.
  const self = (fields[11]! + fields[12]!) / 100;
  const children = (fields[13]! + fields[14]!) / 100;
  return { self, children, total: self + children };
}
const minus = (a: ReturnType<typeof cpuSeconds>, b: ReturnType<typeof cpuSeconds>) => ({ self: a.self - b.self, children: a.children - b.children, total: a.total - b.total });

/** "kind CPU-s/user" lines, largest first; the fleet's own process from /proc/self/stat. */
function breakdownLines(phase: string, byKind: Map<string, number>, self: number, n: number): string {
  const rows = [...byKind, ["fleet process (driver, inline program, local Fly API)", self] as [string, number]].sort((a, b) => b[1] - a[1]);
  return rows.map(([kind, cpu]) => `  [${phase}] ${(cpu / n).toFixed(2).padStart(6)} CPU-s/user  ${kind}`).join("\n");
}

const perUserCpu = (cpu: ReturnType<typeof cpuSeconds>, n: number) =>
  `${(cpu.total / n).toFixed(2)} CPU-s/user: fleet process ${(cpu.self / n).toFixed(2)} + pulumi runs ${(cpu.children / n).toFixed(2)}`;

async function main(): Promise<void> {
  const api = await startFlyApi({ port: 0, token: flyToken, log: () => undefined });
  api.setFaults({ latencyMs });
  api.setRateLimits(true);
  // Every VM reports idle (the state-only API runs no process; exec is answered for it).
  api.setExecResponder(() => ({ stdout: JSON.stringify({ ok: true, running: 0, queued: 0 }) }));
  const registry = await startTestRegistry();
  const v1 = { relay: await registry.publish("textslash-relay", "v1"), vm: await registry.publish("textslash-vm", "v1") };
  const v2 = await registry.publish("textslash-vm", "v2");
  const project = await createEngineProject({
    copyFromRepo: programFiles,
    env: {
      ...stackEnv(api.url),
      ...(values["type-check"] ? { PULUMI_NODEJS_TRANSPILE_ONLY: "false" } : {}),
    },
  });
  const binDir = await pulumiBinDir();
  // An inline program reads FLY_API_TOKEN from this process, as `pulumi up` gives it the CLI's (fleet/engine.ts).
  process.env.FLY_API_TOKEN = project.env.FLY_API_TOKEN;
  const engine = new FleetEngine({
    program,
    projectDir: project.dir,
    env: project.env,
    pulumiCommand: await automation.PulumiCommand.get({ root: dirname(binDir), skipVersionCheck: true }),
    pulumiHome: project.env.PULUMI_HOME!,
  });
  const dir = await mkdtemp(join(tmpdir(), "bench-fleet-"));
  const log = collector(api);
  const sampler = values.breakdown ? sampleChildProcessCpu() : undefined;
  const rows: string[] = [];
  console.log(`fleet benchmark: latency ${latencyMs} ms per API call, rate limits on, concurrency ${concurrency}, waves of ${waveSize}, program ${program === "inline" ? "inline (one process)" : values["type-check"] ? "CLI, type-checked" : "CLI, transpiled only"}, load ${loadavg()[0]!.toFixed(1)}`);
  try {
    for (const n of sizes) {
      const name = `b${n}`;
      const yaml = [
        `fleet: ${name}`,
        "shared:",
        `  relayImage: ${v1.relay.ref}`,
        `  vmImage: ${v1.vm.ref}`,
        `  imageRegistry: ${registry.address}`,
        `  twilioAccountSid: ${fakeAccountSid}`,
        '  twilioWhatsappNumber: "+14155238886"',
        "users:",
        ...Array.from({ length: n }, (_, i) => `  - { id: u${i}, allowedNumbers: ["+1555${String(i).padStart(7, "0")}"] }`),
      ].join("\n");
      const ctx: FleetContext = {
        engine,
        fleet: parseFleet(`${name}.yaml`, yaml),
        secrets: { shared: { twilioAuthToken: fakeSecrets.twilioAuthToken, anthropicApiKey: fakeSecrets.anthropicApiKey }, users: {} },
        log: (line) => {
          if (/FAILED|halted|wave \d+/.test(line)) console.log(`  [${name}] ${line.trim()}`);
        },
        concurrency,
      };
      log.take();
      const t0 = Date.now();
      const c0 = cpuSeconds();
      sampler?.take();
      const up = await fleetUp(ctx);
      const upMs = Date.now() - t0;
      const upCpu = minus(cpuSeconds(), c0);
      const upCalls = log.take();
      const upKinds = sampler?.take();
      const upFailed = up.users.filter((u) => !u.ok);
      if (upFailed.length > 0) throw new Error(`${upFailed.length} user(s) failed to provision: ${upFailed[0]!.error}`);

      ctx.fleet = { ...ctx.fleet, shared: { ...ctx.fleet.shared, vmImage: v2.ref } };
      const t1 = Date.now();
      const c1 = cpuSeconds();
      const roll = await fleetRollout(ctx, { waveSize, canary: 1, maxFailures: 0, busyRetries: 0, busyPauseMs: 0, progressFile: join(dir, `${name}.rollout.json`) });
      const rollMs = Date.now() - t1;
      const rollCpu = minus(cpuSeconds(), c1);
      const rollCalls = log.take();
      const rollKinds = sampler?.take();
      const rolled = api.state().machines.filter((m) => m.app.startsWith(`${name}-`) && m.app.endsWith("-vm") && m.image === v2.pinned).length;
      const perUser = up.users.map((u) => u.ms);
      const line =
        `N=${String(n).padEnd(4)} provision ${sec(upMs).padStart(8)} (${(upCalls.length / n).toFixed(1)} calls/user, ${upCalls.filter((r) => r.status === 429).length} × 429; ` +
        `per user p50 ${sec(pct(perUser, 50))} p95 ${sec(pct(perUser, 95))}, wall/user ${sec(upMs / n)}, ${perUserCpu(upCpu, n)}) | ` +
        `rollout ${sec(rollMs).padStart(8)} (${(rollCalls.length / n).toFixed(1)} calls/user, ${rollCalls.filter((r) => r.status === 429).length} × 429, ` +
        `${roll.updated.length} updated, ${rolled}/${n} on v2, wall/user ${sec(rollMs / n)}, ${perUserCpu(rollCpu, n)}) | 1,000 users ≈ ${(((rollMs / n) * 1000) / 60_000).toFixed(0)} min at this wall/user, ` +
        `≥ ${((rollCpu.total / n) * 1000 / cores / 60).toFixed(0)} min at ${cores} cores fully used | load ${loadavg()[0]!.toFixed(1)}`;
      console.log(line);
      rows.push(line);
      if (upKinds && rollKinds) {
        console.log(breakdownLines(`b${n} up`, upKinds, upCpu.self, n));
        console.log(breakdownLines(`b${n} rollout`, rollKinds, rollCpu.self, n));
      }
      if (roll.halted || rolled !== n) console.log(`  rollout did not finish: ${roll.halted ?? ""} failed ${JSON.stringify(roll.failed.slice(0, 2))}`);
    }
  } finally {
    log.stop();
    sampler?.stop();
    await api.close();
    await registry.stop();
    await project.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`\n${rows.join("\n")}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
