// The API critical path of a fresh `up`, read from the local Fly API's request log: per app, the
// chain of calls that must follow one another (app → secrets ∥ volume → machine → started →
// checks). Any call on the chain that a minimal deployment would not make (a listing before a
// create, a read before a write) is shown as a step of its own, so a probe cannot hide in a total.
import type { RequestLogEntry } from "../../../sandbox/flyapi";

export interface Step {
  step: string;
  ms: number;
  calls: number;
  /** A call the minimal chain would not make. */
  probe?: boolean;
}

const sum = (rs: RequestLogEntry[]) => rs.reduce((t, r) => t + r.durationMs, 0);

export function appChain(log: RequestLogEntry[], app: string): Step[] {
  const mine = log.filter((r) => r.app === app);
  const op = (operation: string) => mine.filter((r) => r.operation === operation);
  const waits = op("Machines_wait");
  const lastWaitEnd = Math.max(0, ...waits.map((r) => r.startedAt + r.durationMs));
  const machineReads = op("Machines_show");
  const checks = machineReads.filter((r) => r.startedAt >= lastWaitEnd);
  const step = (name: string, rs: RequestLogEntry[], probe = false): Step[] => (rs.length === 0 ? [] : [{ step: name, ms: sum(rs), calls: rs.length, ...(probe ? { probe } : {}) }]);
  // Calls made at once (one per IP): only the longest is on the path.
  const longest = (name: string, rs: RequestLogEntry[], probe = false): Step[] =>
    rs.length === 0 ? [] : [{ step: name, ms: Math.max(...rs.map((r) => r.durationMs)), calls: rs.length, ...(probe ? { probe } : {}) }];
  const secrets = step("set secrets", op("Secrets_update"));
  const volume = [...step("list volumes", op("Volumes_list"), true), ...step("create volume", op("Volumes_create"))];
  const ips = [...longest("list IPs", op("App_IPAssignments_list"), true), ...longest("assign IP", op("App_IPAssignments_create"))];
  // Secrets, the volume and the IPs go at once after the app: only the longest branch is on the path.
  const branch = [secrets, volume, ips].reduce((a, b) => (total(b) > total(a) ? b : a));
  return [
    // A read of the app before its create is a probe (the state already says it is new).
    ...step("read app", op("Apps_show"), true),
    ...step("create app", op("Apps_create")),
    ...branch,
    ...step("list machines", op("Machines_list"), true),
    ...step("read machine", machineReads.filter((r) => r.startedAt < lastWaitEnd), true),
    ...step("create machine", op("Machines_create")),
    ...step("wait started", waits),
    ...step("checks passing", checks),
  ];
}

export const total = (steps: Step[]) => steps.reduce((t, s) => t + s.ms, 0);

/** The longer of the apps' chains (they run at once). */
export function criticalPath(log: RequestLogEntry[], apps: string[]): { app: string; steps: Step[] } {
  return apps.map((app) => ({ app, steps: appChain(log, app) })).reduce((a, b) => (total(b.steps) > total(a.steps) ? b : a));
}

/** First call to last answer. */
export function apiWindowMs(log: RequestLogEntry[]): number {
  if (log.length === 0) return 0;
  return Math.max(...log.map((r) => r.startedAt + r.durationMs)) - Math.min(...log.map((r) => r.startedAt));
}

/** The chain, one step a line, probes marked. */
export function describeChain(c: { app: string; steps: Step[] }): string {
  const lines = c.steps.map((s) => `      ${s.step.padEnd(16)} ${String(s.ms).padStart(6)} ms${s.calls > 1 ? ` (${s.calls} calls)` : ""}${s.probe ? "  probe: the state already answers it" : ""}`);
  return [`    critical path (${c.app}):`, ...lines, `      ${"= total".padEnd(16)} ${String(total(c.steps)).padStart(6)} ms`].join("\n");
}
