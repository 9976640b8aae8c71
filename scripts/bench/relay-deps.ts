// Should the relay keep the twilio library? (issue 16; not a test). Measures both sides in one run
// and prints each figure with the ratio: the relay's production dependencies installed from its
// lockfile with twilio and without it (size, packages, JavaScript to audit), the same jobs done
// with twilio-node and with node alone (signature check + TwiML at start, first send and each send
// after), and the compiled relay's cold start with its client loaded lazily (as now) or eagerly.
// Figures for docs/relay-dependencies.md.
// Run: npm run bench:relay-deps [-- --runs 9]   (installs into temp folders from the npm registry)
import { execFileSync, execSync, spawnSync } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRelay, relayEnv, repoRoot, senders, startRelayProcess } from "./relay-lib/relay-process";
import { freePort } from "./relay-lib/ports";
import { percentile, table } from "./relay-lib/load";
import { sendProbe, startProbe } from "./relay-lib/deps-probes";

const relayDir = join(repoRoot, "services/relay");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg === -1 ? 9 : Number(process.argv[runsArg + 1]);
const sendsPerProbe = 200;

function sh(command: string, cwd: string): string {
  const result = spawnSync("sh", ["-c", command], { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} failed in ${cwd}: ${result.stderr}`);
  return result.stdout.trim();
}

interface Install {
  dir: string;
  kb: number;
  packages: string[];
}

/** The relay's production dependencies (optionally without twilio) installed into a temp folder. */
async function install(withoutTwilio: boolean): Promise<Install> {
  const dir = await mkdtemp(join(tmpdir(), "textslash-bench-deps-"));
  copyFileSync(join(relayDir, "package.json"), join(dir, "package.json"));
  copyFileSync(join(relayDir, "package-lock.json"), join(dir, "package-lock.json"));
  if (withoutTwilio) sh("npm uninstall twilio --package-lock-only --no-audit --no-fund --loglevel=error", dir);
  sh("npm ci --omit=dev --no-audit --no-fund --loglevel=error", dir);
  const kb = Number(sh("du -sk node_modules | cut -f1", dir));
  const packages = sh("npm ls --omit=dev --all --parseable", dir).split("\n").slice(1).map((p) => p.slice(p.lastIndexOf("node_modules/") + 13));
  return { dir, kb, packages: [...new Set(packages)].sort() };
}

/** JavaScript files and lines under a package folder (its own, not nested node_modules): what an audit reads. */
function javascript(dir: string): { files: number; lines: number } {
  let files = 0;
  let lines = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === "node_modules") continue;
    if (statSync(path).isDirectory()) {
      const inner = javascript(path);
      files += inner.files;
      lines += inner.lines;
    } else if (/\.(c|m)?js$/.test(name)) {
      files++;
      lines += readFileSync(path, "utf8").split("\n").length;
    }
  }
  return { files, lines };
}

function auditSurface(installed: Install): { files: number; lines: number } {
  const total = { files: 0, lines: 0 };
  for (const name of installed.packages) {
    const js = javascript(join(installed.dir, "node_modules", name));
    total.files += js.files;
    total.lines += js.lines;
  }
  return total;
}

interface ProbeResult {
  ms: number;
  rssMb: number;
  perSendMs?: number;
  signature?: string;
}

/**
 * Runs each program `runs` times in fresh processes, each in its side's install (the plain side
 * cannot reach twilio), taking turns so a busy moment on a shared machine hits both sides alike; medians.
 */
function probe(programs: { cwd: string; source: string }[]): { ms: number; rssMb: number; perSendMs: number; signature: string }[] {
  const results: ProbeResult[][] = programs.map(() => []);
  for (let i = 0; i < runs; i++) {
    programs.forEach(({ cwd, source }, k) => {
      const out = execFileSync(process.execPath, ["-e", source], { cwd, encoding: "utf8" }).trim();
      results[k]?.push(JSON.parse(out) as ProbeResult);
    });
  }
  const median = (values: number[]) => percentile(values.sort((a, b) => a - b), 50);
  return results.map((r) => ({
    ms: median(r.map((x) => x.ms)),
    rssMb: median(r.map((x) => x.rssMb)),
    perSendMs: median(r.map((x) => x.perSendMs ?? NaN)),
    signature: r[0]?.signature ?? "",
  }));
}

/** Median ms from spawning the compiled relay to its first 200 on /health, and its RSS then, per variant (taking turns). */
async function coldStarts(variants: string[][]): Promise<{ ms: number; rssMb: number }[]> {
  const times: number[][] = variants.map(() => []);
  const rss: number[][] = variants.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, nodeArgs] of variants.entries()) {
      const dataDir = await mkdtemp(join(tmpdir(), "textslash-bench-cold-"));
      const started = performance.now();
      const relay = await startRelayProcess({ dir: relayDir, port: await freePort(), nodeArgs, env: relayEnv({ dataDir, vmUrl: "http://127.0.0.1:9", twilioUrl: "http://127.0.0.1:9", allowed: senders(1) }) });
      times[k]?.push(performance.now() - started);
      rss[k]?.push(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${relay.pid}/status`, "utf8"))?.[1] ?? 0) / 1024);
      await relay.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  return times.map((t, k) => ({ ms: percentile(t.sort((a, b) => a - b), 50), rssMb: percentile((rss[k] ?? []).sort((a, b) => a - b), 50) }));
}

/** npm's advisory counts, or why there are none (the registry here refuses the audit endpoint with 405). */
function npmAudit(cwd: string): string {
  const audit = spawnSync("npm", ["audit", "--omit=dev", "--json"], { cwd, encoding: "utf8" });
  try {
    const answer = JSON.parse(audit.stdout) as { metadata?: { vulnerabilities?: Record<string, number> }; message?: string };
    if (answer.metadata?.vulnerabilities) return JSON.stringify(answer.metadata.vulnerabilities);
    return `not available: ${answer.message ?? "no answer"}`;
  } catch {
    return `not available: ${audit.stderr.trim().split("\n")[0] ?? "npm audit failed"}`;
  }
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const mb = (v: number) => `${v.toFixed(1)} MB`;
const msText = (v: number) => `${v.toFixed(v < 10 ? 2 : 0)} ms`;

async function main(): Promise<void> {
  console.log(`twilio in the relay: both sides in one run\nmachine: ${execSync("uptime").toString().trim()}; node ${process.version}; medians of ${runs} fresh processes`);
  buildRelay();
  const withTwilio = await install(false);
  const without = await install(true);
  const brought = withTwilio.packages.filter((p) => !without.packages.includes(p));
  const [auditWith, auditWithout] = [auditSurface(withTwilio), auditSurface(without)];

  const [startTwilio, startPlain, sendTwilio, sendPlain] = probe([
    { cwd: withTwilio.dir, source: startProbe("twilio") },
    { cwd: without.dir, source: startProbe("plain") },
    { cwd: withTwilio.dir, source: sendProbe("twilio", sendsPerProbe) },
    { cwd: without.dir, source: sendProbe("plain", sendsPerProbe) },
  ]) as [
    ReturnType<typeof probe>[number],
    ReturnType<typeof probe>[number],
    ReturnType<typeof probe>[number],
    ReturnType<typeof probe>[number],
  ];
  if (startTwilio.signature !== startPlain.signature) throw new Error(`the plain signature (${startPlain.signature}) differs from twilio-node's (${startTwilio.signature})`);
  const [lazy, eager] = (await coldStarts([[], ["--require", join(relayDir, "node_modules/twilio")]])) as [{ ms: number; rssMb: number }, { ms: number; rssMb: number }];

  console.log(
    `\n${table([
      ["figure", "with twilio", "without twilio", "ratio"],
      ["installed production node_modules", mb(withTwilio.kb / 1024), mb(without.kb / 1024), ratio(withTwilio.kb, without.kb)],
      ["production packages (npm ls --all)", String(withTwilio.packages.length), String(without.packages.length), ratio(withTwilio.packages.length, without.packages.length)],
      ["JavaScript to audit: files", String(auditWith.files), String(auditWithout.files), ratio(auditWith.files, auditWithout.files)],
      ["JavaScript to audit: lines", String(auditWith.lines), String(auditWithout.lines), ratio(auditWith.lines, auditWithout.lines)],
      ["start: load + 1 signature check + 1 TwiML", msText(startTwilio.ms), msText(startPlain.ms), ratio(startTwilio.ms, startPlain.ms)],
      ["  process RSS after", mb(startTwilio.rssMb), mb(startPlain.rssMb), ratio(startTwilio.rssMb, startPlain.rssMb)],
      ["first send (client loaded on first use)", msText(sendTwilio.ms), msText(sendPlain.ms), ratio(sendTwilio.ms, sendPlain.ms)],
      [`each send after (mean of ${sendsPerProbe})`, msText(sendTwilio.perSendMs), msText(sendPlain.perSendMs), ratio(sendTwilio.perSendMs, sendPlain.perSendMs)],
      ["  process RSS after the sends", mb(sendTwilio.rssMb), mb(sendPlain.rssMb), ratio(sendTwilio.rssMb, sendPlain.rssMb)],
    ])}`,
  );
  console.log(`\nsignatures agree: twilio-node and the plain HMAC-SHA1 both give ${startTwilio.signature}`);
  console.log(`packages twilio brings (${brought.length}): ${brought.join(", ")}`);
  console.log(
    `\n${table([
      ["the relay as built (twilio kept)", "cold start to first /health", "RSS then"],
      ["REST client loaded on first send (now)", msText(lazy.ms), mb(lazy.rssMb)],
      ['all of twilio loaded at start (node --require twilio)', msText(eager.ms), mb(eager.rssMb)],
      ["ratio eager / now", ratio(eager.ms, lazy.ms), ratio(eager.rssMb, lazy.rssMb)],
    ])}`,
  );
  console.log(`\nnpm audit of the twilio side: ${npmAudit(withTwilio.dir)}`);
  console.log(`machine after: ${execSync("uptime").toString().trim()}`);
  await Promise.all([rm(withTwilio.dir, { recursive: true, force: true }), rm(without.dir, { recursive: true, force: true })]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
