// Runs the open-loop generator in its own process and summarises what came back; prints tables
// with the goal beside each figure.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import type { GeneratorOptions, GeneratorResult } from "./generator";

/** `nice`: the generator's scheduling priority (a negative one needs root), as for the relay. */
export async function runGenerator(options: GeneratorOptions, nice?: number): Promise<GeneratorResult[]> {
  const dir = await mkdtemp(join(tmpdir(), "textslash-bench-gen-"));
  const out = join(dir, "results.json");
  try {
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "generator.ts"), JSON.stringify(options), out], { stdio: ["ignore", "inherit", "inherit"] });
    if (nice !== undefined && child.pid) setPriority(child.pid, nice);
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    if (code !== 0) throw new Error(`generator exited with ${code}`);
    return JSON.parse(await readFile(out, "utf8")) as GeneratorResult[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export interface LoadSummary {
  sent: number;
  acked: number;
  told: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  /** Answers slower than Twilio's 15 s webhook timeout (Twilio would have given up on them). */
  overTwilioTimeout: number;
  /** p99 of how late the generator sent requests (included in the latencies above). */
  sendLagP99: number;
}

export function summarise(results: GeneratorResult[]): LoadSummary {
  const latencies = results.map((r) => r.latencyMs).sort((a, b) => a - b);
  return {
    sent: results.length,
    acked: results.filter((r) => r.outcome === "acked").length,
    told: results.filter((r) => r.outcome === "told").length,
    errors: results.filter((r) => r.outcome === "error").length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    overTwilioTimeout: latencies.filter((l) => l > 15_000).length,
    sendLagP99: percentile(results.map((r) => r.sendLagMs).sort((a, b) => a - b), 99),
  };
}

/** Acknowledged ids that never reached the VM, and ids the VM got more than once. */
export function lossAndDuplicates(results: GeneratorResult[], received: Map<string, number>): { lost: number; duplicated: number } {
  const lost = results.filter((r) => r.outcome === "acked" && !received.has(r.sid)).length;
  const duplicated = [...received.values()].filter((n) => n > 1).length;
  return { lost, duplicated };
}

export const ms = (v: number) => (Number.isFinite(v) ? (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`) : "n/a");

/** A table: first row is the header; columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("  ").trimEnd();
  return [line(rows[0] ?? []), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}
