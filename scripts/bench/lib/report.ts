// How every benchmark reports: a table with the goal next to each figure, and the machine's load
// at the time (the build machine is shared, so a figure means little without it).
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";

export interface Row {
  what: string;
  figure: string;
  goal: string;
  /** undefined: a figure reported for information, with no goal to meet. */
  met?: boolean | undefined;
}

/** `uptime`'s line, or the load averages when there is no uptime. */
export function machineLoad(): string {
  try {
    return execFileSync("uptime", { encoding: "utf8" }).trim().replace(/\s+/g, " ");
  } catch {
    return `load average: ${loadavg().map((l) => l.toFixed(2)).join(", ")}`;
  }
}

export function machineLine(): string {
  return `${cpus().length} cores, Node ${process.version}; ${machineLoad()}`;
}

export function printTable(title: string, rows: Row[]): void {
  const verdict = (r: Row) => (r.met === undefined ? "" : r.met ? "met" : "NOT MET");
  const header: Row = { what: "what", figure: "measured (median, min–max)", goal: "goal" };
  const all = [header, ...rows];
  const w = (k: keyof Pick<Row, "what" | "figure" | "goal">) => Math.max(...all.map((r) => r[k].length));
  const line = (r: Row, v: string) => `| ${r.what.padEnd(w("what"))} | ${r.figure.padEnd(w("figure"))} | ${r.goal.padEnd(w("goal"))} | ${v.padEnd(7)} |`;
  console.log(`\n## ${title}\n`);
  console.log(line(header, "verdict"));
  console.log(`|${"-".repeat(w("what") + 2)}|${"-".repeat(w("figure") + 2)}|${"-".repeat(w("goal") + 2)}|---------|`);
  for (const r of rows) console.log(line(r, verdict(r)));
  console.log(`\nmachine: ${machineLine()}`);
}
