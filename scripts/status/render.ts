// The deployment's status as text for a terminal. Pure: `now` is given so tests are exact.
import type { AppView, CheckView, DeploymentStatus, VolumeView } from "./model";

export function ago(iso: string | undefined, now: Date): string {
  if (!iso) return "";
  const ms = now.getTime() - new Date(iso).getTime();
  if (Number.isNaN(ms)) return "";
  const s = Math.round(ms / 1000);
  if (s < 0) return " (just now)";
  if (s < 90) return ` (${s} s ago)`;
  if (s < 90 * 60) return ` (${Math.round(s / 60)} min ago)`;
  if (s < 36 * 3600) return ` (${Math.round(s / 3600)} h ago)`;
  return ` (${Math.round(s / 86400)} days ago)`;
}

export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(0)} MB`;
  return `${(n / 1024).toFixed(0)} kB`;
}

const row = (label: string, value: string): string => `  ${label.padEnd(13)}${value}`;

function checksLine(checks: CheckView[], state: string, now: Date): string {
  if (checks.length === 0) return state === "started" ? "none reported yet" : `none while ${state} (Fly runs checks on started machines)`;
  return checks.map((c) => `${c.name} ${c.status}${ago(c.updatedAt, now)}`).join(", ");
}

function volumeLine(v: VolumeView | undefined): string {
  if (!v) return "none found (run `pulumi refresh`)";
  const retention = v.snapshotRetentionDays !== undefined ? `, daily snapshots kept ${v.snapshotRetentionDays} days` : "";
  const head = `${v.name} (${v.id}) ${v.sizeGb} GB${retention}`;
  if ("unknown" in v.usage) return `${head}; use unknown: ${v.usage.unknown}`;
  const pct = Math.round((100 * v.usage.usedBytes) / v.usage.totalBytes);
  const by = v.usage.source === "fly" ? "Fly" : "the service";
  return `${head}; ${bytes(v.usage.usedBytes)} of ${bytes(v.usage.totalBytes)} used (${pct}%, reported by ${by})`;
}

function appBlock(a: AppView, now: Date, extra: string[]): string[] {
  const lines = [`${a.role === "relay" ? "Relay" : "VM"}: ${a.app}`];
  if (!a.machine) lines.push(row("machine", "gone from Fly (run `pulumi refresh`, then `pulumi up`)"));
  else {
    const m = a.machine;
    const since = m.state === "started" && m.lastStartedAt ? `, up since ${m.lastStartedAt}${ago(m.lastStartedAt, now)}` : m.updatedAt ? `, since ${m.updatedAt}${ago(m.updatedAt, now)}` : "";
    lines.push(row("machine", `${m.id} ${m.state} in ${m.region}${since}`));
    lines.push(row("image", `${m.image}${m.digest ? ` @ ${m.digest}` : " (Fly reports no digest)"}`));
    lines.push(row("checks", checksLine(m.checks, m.state, now)));
  }
  lines.push(...extra);
  lines.push(row("volume", volumeLine(a.volume)));
  lines.push(row("logs", a.logsCommand));
  return lines;
}

export function renderStatus(s: DeploymentStatus, now: Date): string {
  const health = s.relay.health;
  const outbox = "unreachable" in health ? `unknown: ${health.unreachable}` : `${health.outbox} message(s) waiting for the VM`;
  const last =
    "unreachable" in health
      ? "unknown (the relay did not answer)"
      : s.lastMessageAt === undefined
        ? "not reported by this relay's /health"
        : s.lastMessageAt === null
          ? "none recorded yet"
          : `${s.lastMessageAt}${ago(s.lastMessageAt, now)}`;
  const q = s.vm.queue;
  const queue = "asleep" in q ? `asleep: ${q.asleep}` : "unknown" in q ? `unknown: ${q.unknown}` : `${q.running} running, ${q.queued} queued`;
  const lines = [
    ...appBlock(s.relay, now, [row("outbox", outbox), row("last message", last)]),
    "",
    ...appBlock(s.vm, now, [row("queue", queue)]),
    "",
    ...(s.problems.length === 0 ? ["All well."] : ["Needs attention:", ...s.problems.map((p) => `  - ${p}`)]),
  ];
  return lines.join("\n");
}
