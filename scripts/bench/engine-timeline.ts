// Prints where a fresh `up` and a no-op `up` of the textslash program spend their time, from the
// engine's own log (`-v=9 --logflow`): plugin launches and the first RPCs each plugin answers.
import { readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { benchWorkspace } from "./lib/workspace";

async function newestGlog(since: number): Promise<string> {
  const dir = tmpdir();
  const names = (await readdir(dir)).filter((n) => /^pulumi\..*INFO/.test(n));
  let best: { file: string; m: number } | undefined;
  for (const n of names) {
    const m = (await stat(path.join(dir, n))).mtimeMs;
    if (m >= since && (!best || m > best.m)) best = { file: path.join(dir, n), m };
  }
  if (!best) throw new Error("no glog file");
  return best.file;
}

const interesting = /[Ll]aunching plugin|plugin .*port|Provider\[[^\]]*\]\.(Check|CheckConfig|Configure|Create|Invoke|GetPluginInfo)\(|ResourceMonitor.RegisterResource received|registered default provider|Run\(|Language runtime|program finished|Deployment|SnapshotManager: saving|Killing|killing plugin|closing/;

async function show(label: string, run: () => Promise<unknown>): Promise<void> {
  const since = Date.now() - 1000;
  const t0 = Date.now();
  await run();
  console.log(`\n== ${label}: ${Date.now() - t0} ms`);
  const lines = (await readFile(await newestGlog(since), "utf8")).split("\n");
  let first: number | undefined;
  for (const line of lines) {
    let entry: { time?: string; msg?: string };
    try {
      entry = JSON.parse(line) as { time?: string; msg?: string };
    } catch {
      continue;
    }
    if (!entry.time || !entry.msg) continue;
    const t = Date.parse(entry.time) + Number(/\.\d{3}(\d{3})/.exec(entry.time)?.[1] ?? 0) / 1000;
    first ??= t;
    if (interesting.test(entry.msg)) console.log(`${String(Math.round(t - first)).padStart(6)}  ${entry.msg.slice(0, 170)}`);
  }
}

async function main(): Promise<void> {
  const ws = await benchWorkspace();
  try {
    await ws.createStack("textslash", "tl1");
    const args = ["--stack", "tl1", "-v=9", "--logflow"];
    await show("fresh up", () => ws.pulumi("textslash", ["up", "--yes", "--skip-preview", ...args]));
    await show("no-op up", () => ws.pulumi("textslash", ["up", "--yes", "--skip-preview", ...args]));
  } finally {
    await ws.close();
  }
}

void main();
