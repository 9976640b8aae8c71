// VM wake benchmark (issue 20, item 4; not a test): how long from Twilio's webhook reaching the relay
// to the VM receiving the task, with the VM asleep (Fly Proxy wakes it on the relay's request to
// {prefix}-vm.flycast) and with it already running. The real program is deployed by the real
// `pulumi up` into the local sandbox (local Fly API, Fly Proxy stand-in, fake Twilio), then each
// sample sends one signed WhatsApp webhook through the proxy's public route and reads when the VM's
// own log says the request arrived (its pino `time`, same host clock), and when the reply reached
// the fake Twilio. The sandbox's wake is its runtime starting a process or container, not a Fly
// host resuming a Firecracker VM: the figures say what this code path costs here, not Fly's.
//
// Run: npx tsx scripts/bench/vm-wake.ts [--mode process|container] [--samples 3] [--idle-ms 5000]
import { readFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSandbox, type RunningSandbox, type SandboxMode } from "../../sandbox/daemon/sandbox";
import { sandboxConfigMap, sendSandboxMessage } from "../../sandbox/daemon/sandbox-stack";
import { waitFor } from "../../sandbox/testing/wait-for";
import { createEngineProject, repoRoot } from "../../tests/engine/harness";
import { programFiles, serviceFiles } from "../../tests/engine/fly-stack";
import { printTable, type Row } from "./lib/report";
import { millis, spread } from "./lib/stats";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
};
const mode = arg("mode", "process") as SandboxMode;
const samples = Number(arg("samples", "3"));
const idleMs = Number(arg("idle-ms", "5000"));
if (mode !== "process" && mode !== "container") throw new Error(`--mode must be process or container (got "${mode}")`);
if (!Number.isInteger(samples) || samples < 1) throw new Error(`--samples must be a whole number from 1 (got "${arg("samples", "")}")`);

const token = "fake-fly-token-bench";
const relayApp = "sandbox-relay";
const vmApp = "sandbox-vm";
const ASLEEP = new Set(["stopped", "suspended"]);

interface Sample {
  /** Webhook sent → the relay's 200. */
  ackMs: number;
  /** Webhook sent → the VM's log shows POST /tasks arriving. */
  taskMs: number;
  /** Webhook sent → the fake Twilio recorded the reply. */
  replyMs: number;
}

/** The `time` of the VM's first "incoming request" POST /tasks logged at or after `since` (pino JSON lines). */
function taskArrival(logFile: string, since: number): number | undefined {
  if (!existsSync(logFile)) return undefined;
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    let entry: { time?: number; msg?: string; req?: { method?: string; url?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.msg === "incoming request" && entry.req?.method === "POST" && entry.req.url?.startsWith("/tasks") && (entry.time ?? 0) >= since) return entry.time;
  }
  return undefined;
}

function vmMachine(sandbox: RunningSandbox) {
  const found = sandbox.api.state().machines.filter((m) => m.app === vmApp && m.state !== "destroyed");
  if (found.length !== 1) throw new Error(`expected one machine of ${vmApp}, found ${found.length}`);
  return found[0]!;
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "textslash-bench-wake-"));
  const lines: string[] = [];
  const sandbox = await startSandbox({ repoRoot, stateDir, token, mode, idleMs, stopTimeoutMs: 8_000, log: (l) => lines.push(l) });
  const project = await createEngineProject({
    copyFromRepo: [...programFiles, ...serviceFiles],
    stackName: "sandbox",
    env: { FLY_API_TOKEN: token, FLY_PROXY_URL: sandbox.proxyUrl },
  });
  try {
    // A throwaway stack: its destroy at the end may delete the VM's /data.
    await project.stack.setAllConfig(sandboxConfigMap(sandbox.apiUrl, sandbox.registryUrl, { "textslash:allowDataLoss": "true" }));
    console.log(`deploying the program into the sandbox (${mode} mode; the first up builds both images)…`);
    const up = await project.cli(["up", "--yes", "--skip-preview"]);
    if (up.code !== 0) throw new Error(`pulumi up failed:\n${up.stdout}\n${up.stderr}`);

    const vmLog = () => path.join(stateDir, "logs", `${vmApp}-${vmMachine(sandbox).id}.log`);
    let sent = 0;
    const sample = async (): Promise<Sample> => {
      sent += 1;
      const text = `wake sample ${sent}`;
      const t0 = Date.now();
      const ack = await sendSandboxMessage({ proxyUrl: sandbox.proxyUrl, relayApp, body: text, messageSid: `SMbenchwake${String(sent).padStart(6, "0")}` });
      const ackMs = Date.now() - t0;
      if (ack.status !== 200) throw new Error(`the relay answered ${ack.status}: ${ack.body}`);
      let arrived: number | undefined;
      await waitFor("the VM to receive the task", () => (arrived = taskArrival(vmLog(), t0)) !== undefined, 120_000);
      await waitFor("the reply", () => sandbox.twilio.messages.some((m) => m.body.trimEnd().endsWith(`: ${text}`)), 120_000);
      return { ackMs, taskMs: arrived! - t0, replyMs: Date.now() - t0 };
    };

    const asleep: Sample[] = [];
    const awake: Sample[] = [];
    for (let i = 0; i < samples; i++) {
      await waitFor("the idle VM to be asleep", () => ASLEEP.has(vmMachine(sandbox).state) && !sandbox.runtime.isRunning(vmMachine(sandbox).id), idleMs + 60_000);
      asleep.push(await sample());
      // Right after: the VM is running (its idle timer restarted with the last request).
      if (!sandbox.runtime.isRunning(vmMachine(sandbox).id)) throw new Error("the VM went to sleep before the running sample");
      awake.push(await sample());
      console.log(`sample ${i + 1}/${samples}: asleep task ${asleep.at(-1)!.taskMs} ms, running task ${awake.at(-1)!.taskMs} ms`);
    }
    const fig = (xs: Sample[], k: keyof Sample) => millis(spread(xs.map((s) => s[k])));
    const rows: Row[] = [
      { what: "webhook → relay's 200 (VM asleep)", figure: fig(asleep, "ackMs"), goal: "reported (load: bench:relay-load)" },
      { what: "webhook → VM has the task, VM asleep (wake through the proxy)", figure: fig(asleep, "taskMs"), goal: "reported" },
      { what: "webhook → VM has the task, VM running", figure: fig(awake, "taskMs"), goal: "reported" },
      { what: "webhook → reply at Twilio, VM asleep", figure: fig(asleep, "replyMs"), goal: "reported" },
      { what: "webhook → reply at Twilio, VM running", figure: fig(awake, "replyMs"), goal: "reported" },
    ];
    printTable(`VM wake, ${mode} mode, ${samples} samples each (sandbox; idle ${idleMs} ms)`, rows);
  } finally {
    await project.cli(["destroy", "--yes", "--skip-preview"]).catch(() => undefined);
    await sandbox.close();
    await project.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
