// `fleet status`: one row per declared user, from the same sources as `npm run status` (the stack's
// outputs, GETs to the Fly API, the relay's public /health; never a call that wakes the VM), plus
// whether the VM runs the digest the fleet's declared image resolves to now.
import { bytes, ago } from "../scripts/status/render";
import { collectStatus } from "../scripts/status/collect";
import { parseOutputs, fetchJson } from "../scripts/status/run";
import type { DeploymentStatus } from "../scripts/status/model";
import { flyClientFor, type FleetContext } from "./operations";
import { pool } from "./pool";
import { stackNameOf } from "./schema";
import { resolveDigest } from "./digest";

export interface UserStatus {
  user: string;
  stack: string;
  /** Undefined when the user has no deployed stack yet (or it could not be read: see `problem`). */
  status?: DeploymentStatus;
  vmDigest?: string;
  /** True/false when both digests are known; undefined when either is not. */
  current?: boolean;
  problem?: string;
}

export interface FleetStatus {
  fleet: string;
  declaredVmImage: string;
  /** The digest the declared VM image names now, or why it is not known. */
  declaredVmDigest: string | { unknown: string };
  users: UserStatus[];
}

/** The digest a machine runs: Fly's image_ref, else the `@sha256:` of the pinned reference it was given. */
function digestOf(s: DeploymentStatus | undefined): string | undefined {
  const m = s?.vm.machine;
  return m?.digest ?? (m?.image.includes("@") ? m.image.split("@")[1] : undefined);
}

export async function fleetStatus(ctx: FleetContext, relayHealthUrl: (relayUrl: string) => string = (u) => `${u}/health`): Promise<FleetStatus> {
  const fly = flyClientFor(ctx);
  const declaredVmDigest = await resolveDigest(ctx.fleet.shared.vmImage, ctx.fleet.shared.imageRegistry).catch((err: unknown) => ({ unknown: (err as Error).message }));
  const users = await pool(ctx.fleet.users, ctx.concurrency, async (u): Promise<UserStatus> => {
    const stackName = stackNameOf(ctx.fleet.fleet, u.id);
    try {
      const stack = await ctx.engine.existing(stackName);
      if (!stack) return { user: u.id, stack: stackName, problem: "no stack yet: run `fleet up`" };
      const outputs = parseOutputs(JSON.stringify(Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]))));
      const status = await collectStatus({
        outputs,
        fly,
        relayHealth: () => fetchJson(relayHealthUrl(outputs.relayUrl), 5_000),
        logsCommand: (app, id) => `fly logs -a ${app} --machine ${id}`,
      });
      const vmDigest = digestOf(status);
      const current = vmDigest !== undefined && typeof declaredVmDigest === "string" ? vmDigest === declaredVmDigest : undefined;
      return { user: u.id, stack: stackName, status, ...(vmDigest ? { vmDigest } : {}), ...(current !== undefined ? { current } : {}) };
    } catch (err) {
      return { user: u.id, stack: stackName, problem: (err as Error).message.split("\n")[0] };
    }
  });
  return { fleet: ctx.fleet.fleet, declaredVmImage: ctx.fleet.shared.vmImage, declaredVmDigest, users };
}

const short = (digest: string | undefined): string => (digest ? digest.replace(/^sha256:/, "").slice(0, 12) : "-");

/** The table. Pure: `now` is given so tests are exact. */
export function renderFleetStatus(s: FleetStatus, now: Date): string {
  const head = ["user", "relay", "vm", "vm image", "current", "last message", "outbox", "/data use", "notes"];
  const rows = s.users.map((u) => {
    const st = u.status;
    if (!st) return [u.user, "-", "-", "-", "-", "-", "-", "-", u.problem ?? ""];
    const health = st.relay.health;
    const usage = st.vm.volume?.usage;
    const dataUse = !usage ? "-" : "unknown" in usage ? "unknown" : `${bytes(usage.usedBytes)}/${bytes(usage.totalBytes)}`;
    const queue = st.vm.queue;
    const vmState = `${st.vm.machine?.state ?? "gone"}${"running" in queue ? ` (${queue.running} running, ${queue.queued} queued)` : ""}`;
    return [
      u.user,
      st.relay.machine?.state ?? "gone",
      vmState,
      short(u.vmDigest),
      u.current === undefined ? "?" : u.current ? "yes" : "NO",
      "unreachable" in health ? "unknown" : st.lastMessageAt ? `${st.lastMessageAt}${ago(st.lastMessageAt, now)}` : "never",
      "unreachable" in health ? "unknown" : String(health.outbox),
      dataUse,
      st.problems.length > 0 ? `${st.problems.length} problem(s): ${st.problems[0]}` : "",
    ];
  });
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const declared = typeof s.declaredVmDigest === "string" ? short(s.declaredVmDigest) : `unknown (${s.declaredVmDigest.unknown})`;
  return [`fleet ${s.fleet}: declared VM image ${s.declaredVmImage} = ${declared}`, line(head), ...rows.map(line)].join("\n");
}
