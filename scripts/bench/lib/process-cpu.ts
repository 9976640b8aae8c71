// Where a benchmark's CPU goes, by kind of process: samples /proc every `intervalMs` for every
// descendant of this process (the pulumi CLI runs, language hosts, program and provider plugins) and
// keeps each one's largest utime + stime seen. A sampler misses what a process spends after its last
// sample and processes shorter than the interval, so the sum is a little below the true total (the
// caller prints both). The sampling runs in this process and costs CPU of its own (a walk of /proc per
// tick), which a benchmark's "own process" figure then includes: take totals from a run without it.
// Linux only.
import { readFileSync, readdirSync } from "node:fs";

const TICKS_PER_SECOND = 100;

interface Seen {
  kind: string;
  ticks: number;
}

function stat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // exited between the listing and the read
  }
}

/** The kind of a process, from its command line: what the breakdown groups by. */
export function processKind(cmdline: string): string {
  const [program, verb, sub] = cmdline.split(" ");
  if (program?.split("/").pop() === "pulumi" && verb) {
    return verb === "stack" || verb === "config" ? `pulumi ${verb} ${sub?.startsWith("-") ? "" : (sub ?? "")}`.trim() : `pulumi ${verb}`;
  }
  if (/pulumi-language-nodejs/.test(cmdline)) return "language host";
  if (/@pulumi\/pulumi\/cmd\/run\b/.test(cmdline)) return "node program (cmd/run)";
  if (/dynamic-provider|pulumi-resource-pulumi-nodejs|provider-host\/host\.cjs/.test(cmdline)) return "dynamic provider";
  const plugin = /textslash-stand-ins\/(\w+)-|pulumi-resource-(\w+)/.exec(cmdline);
  if (plugin) return `plugin ${plugin[1] ?? plugin[2]}`;
  if (/deployment-check/.test(cmdline)) return "deployment check";
  return "other";
}

export interface CpuSampler {
  /** CPU-s by kind of process since the last take (processes first seen since then). */
  take(): Map<string, number>;
  stop(): void;
}

export function sampleChildProcessCpu(intervalMs = 100): CpuSampler {
  const root = process.pid;
  let seen = new Map<number, Seen>();
  const tick = () => {
    const parents = new Map<number, { ppid: number; ticks: number }>();
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      const s = stat(Number(name));
      if (s) parents.set(Number(name), s);
    }
    for (const [pid, s] of parents) {
      let up = s.ppid;
      for (let hops = 0; up > 1 && up !== root && hops < 32; hops++) up = parents.get(up)?.ppid ?? 0;
      if (up !== root) continue;
      const known = seen.get(pid);
      if (known) known.ticks = Math.max(known.ticks, s.ticks);
      else {
        let cmdline = "";
        try {
          cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
        } catch {
          continue;
        }
        // A child between fork and exec still shows this process's command line: look again next tick.
        if (cmdline === readFileSync("/proc/self/cmdline", "utf8").split("\0").join(" ")) continue;
        seen.set(pid, { kind: processKind(cmdline), ticks: s.ticks });
      }
    }
  };
  const timer = setInterval(tick, intervalMs);
  return {
    take() {
      tick();
      const byKind = new Map<string, number>();
      for (const { kind, ticks } of seen.values()) byKind.set(kind, (byKind.get(kind) ?? 0) + ticks / TICKS_PER_SECOND);
      seen = new Map();
      return byKind;
    },
    stop: () => clearInterval(timer),
  };
}
