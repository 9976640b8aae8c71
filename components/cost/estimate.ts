// The month's Fly cost of a deployment, computed from its actual sizes, region and sleep mode with
// the prices of fly-prices.ts. Pure (no Pulumi, no HTTP): the stack output, the preview line, the
// README table and a fleet's per-user figures all come from here. The building blocks (one machine,
// one volume, the relay's and the VM's parts) are exported so a fleet can price a shared relay.
import { FLY_PRICES, regionPrice } from "./fly-prices";

export interface MachineSize {
  /** Shared CPUs (the only kind this program runs). */
  cpus: number;
  memoryMb: number;
}

/** What this stack's config decides about cost (a subset of config.ts's Settings). */
export interface StackSizing {
  region: string;
  relayMemoryMb: number;
  vmMemoryMb: number;
  vmCpus: number;
  volumeSizeGb: number;
  vmAutostop: "stop" | "suspend" | "off";
  /** The relay's outbox volume (textslash-stack.ts). */
  relayVolumeGb: number;
  /** Fly address kinds of each app: "v4" is a dedicated IPv4, the others are free. */
  relayIps: readonly string[];
  vmIps: readonly string[];
}

/** Usage the config cannot tell; each figure is an assumption, said so in the estimate. */
export interface UsageAssumptions {
  /** Hours a day the VM is started (working on messages, then idle until Fly Proxy stops it). */
  vmHoursPerDay: number;
  /** The VM image's root filesystem, billed while the VM sleeps (Chromium, Claude Code, Node). */
  vmRootfsGb: number;
}

export const DEFAULT_USAGE: UsageAssumptions = { vmHoursPerDay: 4, vmRootfsGb: 1.5 };

export interface CostLine {
  item: string;
  basis: string;
  /** USD per month, unrounded. */
  usd: number;
}

export interface StackCostEstimate {
  /** At the assumed usage. */
  usd: number;
  /** Hours a day the VM is taken to be awake (all day when its autostop is off). */
  vmHoursPerDay: number;
  /** The VM never wakes / never sleeps: the bounds whatever the usage. */
  idleUsd: number;
  busyUsd: number;
  region: string;
  regionMultiplier: number;
  regionPriceDocumented: boolean;
  lines: CostLine[];
  assumptions: string[];
  pricesAsOf: string;
  pricesSource: string;
}

const HOURS_PER_DAY = 24;

/** A machine started all month: the shared-cpu-Nx preset plus memory beyond its included 256 MB per CPU. */
export function startedMachinePerMonth(size: MachineSize, region: string): number {
  const included = size.cpus * FLY_PRICES.sharedCpuIncludedMemoryMb;
  const extraGb = Math.max(0, size.memoryMb - included) / 1024;
  return (size.cpus * FLY_PRICES.sharedCpuPerMonth + extraGb * FLY_PRICES.additionalMemoryPerGbMonth) * regionPrice(region).multiplier;
}

/** A machine asleep (stopped or suspended) all month: its root filesystem only. */
export function sleepingMachinePerMonth(rootfsGb: number): number {
  return rootfsGb * FLY_PRICES.sleepingRootfsPerGbMonth;
}

export function volumePerMonth(sizeGb: number): number {
  return sizeGb * FLY_PRICES.volumePerGbMonth;
}

/** Snapshot storage of an organization: the first 10 GB each month are free. */
export function snapshotsPerMonth(storedGb: number, freeGb: number = FLY_PRICES.snapshotFreeGbPerOrg): number {
  return Math.max(0, storedGb - freeGb) * FLY_PRICES.snapshotPerGbMonth;
}

export function ipsPerMonth(kinds: readonly string[]): number {
  return kinds.reduce((sum, kind) => sum + (kind === "v4" ? FLY_PRICES.dedicatedIpv4PerMonth : 0), 0);
}

const usd = (n: number): string => `$${n.toFixed(2)}`;
const describeIps = (kinds: readonly string[]): string =>
  kinds.length === 0 ? "none" : kinds.map((k) => (k === "v4" ? "dedicated IPv4" : k === "shared_v4" ? "shared IPv4" : k === "private_v6" ? "Flycast" : "IPv6")).join(", ");

/** The relay's own part: an always-on machine, its outbox volume and addresses. */
export function relayLines(s: StackSizing): CostLine[] {
  const size = { cpus: 1, memoryMb: s.relayMemoryMb };
  return [
    { item: "Relay machine", basis: `shared-cpu-1x, ${s.relayMemoryMb} MB, started all month`, usd: startedMachinePerMonth(size, s.region) },
    { item: "Relay volume", basis: `${s.relayVolumeGb} GB outbox × ${usd(FLY_PRICES.volumePerGbMonth)}/GB`, usd: volumePerMonth(s.relayVolumeGb) },
    { item: "Relay addresses", basis: describeIps(s.relayIps), usd: ipsPerMonth(s.relayIps) },
  ];
}

/** The VM's own part at `hoursPerDay` started: compute while awake, root filesystem while asleep, /data. */
export function vmLines(s: StackSizing, usage: UsageAssumptions): CostLine[] {
  const awake = Math.min(HOURS_PER_DAY, Math.max(0, usage.vmHoursPerDay)) / HOURS_PER_DAY;
  const size = { cpus: s.vmCpus, memoryMb: s.vmMemoryMb };
  const full = startedMachinePerMonth(size, s.region);
  return [
    {
      item: "VM machine, awake",
      basis: `shared-cpu-${s.vmCpus}x, ${s.vmMemoryMb} MB, ${usage.vmHoursPerDay} h/day of ${usd(full)} for a full month`,
      usd: full * awake,
    },
    {
      item: `VM machine, asleep (${s.vmAutostop === "suspend" ? "suspended" : "stopped"})`,
      basis: `${usage.vmRootfsGb} GB root filesystem × ${usd(FLY_PRICES.sleepingRootfsPerGbMonth)}/GB, ${HOURS_PER_DAY - usage.vmHoursPerDay} h/day`,
      usd: sleepingMachinePerMonth(usage.vmRootfsGb) * (1 - awake),
    },
    { item: "VM /data volume", basis: `${s.volumeSizeGb} GB × ${usd(FLY_PRICES.volumePerGbMonth)}/GB`, usd: volumePerMonth(s.volumeSizeGb) },
    { item: "VM addresses", basis: describeIps(s.vmIps), usd: ipsPerMonth(s.vmIps) },
  ];
}

/**
 * Daily snapshots of both volumes (Fly's default), at most the volumes' size stored (incremental
 * snapshots of a volume no fuller than its size), against the organization's free 10 GB.
 */
export function snapshotLine(storedGb: number): CostLine {
  return {
    item: "Volume snapshots",
    basis: `up to ${storedGb} GB stored; first ${FLY_PRICES.snapshotFreeGbPerOrg} GB per organization free, then ${usd(FLY_PRICES.snapshotPerGbMonth)}/GB`,
    usd: snapshotsPerMonth(storedGb),
  };
}

const sum = (lines: CostLine[]): number => lines.reduce((total, line) => total + line.usd, 0);

export function estimateStackCost(s: StackSizing, assumed: UsageAssumptions = DEFAULT_USAGE): StackCostEstimate {
  // A VM with autostop off is never put to sleep: it is awake all day whatever the usage.
  const usage = s.vmAutostop === "off" ? { ...assumed, vmHoursPerDay: HOURS_PER_DAY } : assumed;
  const region = regionPrice(s.region);
  const snapshots = snapshotLine(s.volumeSizeGb + s.relayVolumeGb);
  const lines = [...relayLines(s), ...vmLines(s, usage), snapshots];
  const at = (hours: number): number =>
    sum([...relayLines(s), snapshots, ...vmLines(s, { ...usage, vmHoursPerDay: s.vmAutostop === "off" ? HOURS_PER_DAY : hours })]);
  const assumptions = [
    `the VM is awake ${usage.vmHoursPerDay} h a day (Fly bills a started machine per second; asleep it pays only its root filesystem, assumed ${usage.vmRootfsGb} GB)`,
    "snapshots store at most the volumes' size, and the organization has no other snapshots",
    "outbound transfer of text and images is a few MB ($0.02/GB in North America and Europe): not counted",
  ];
  if (!region.documented) {
    assumptions.push(`${s.region}'s compute multiplier is not in Fly's docs source: iad's prices are used (check the region on the pricing page)`);
  }
  return {
    usd: sum(lines),
    vmHoursPerDay: usage.vmHoursPerDay,
    idleUsd: at(0),
    busyUsd: at(HOURS_PER_DAY),
    region: s.region,
    regionMultiplier: region.multiplier,
    regionPriceDocumented: region.documented,
    lines,
    assumptions,
    pricesAsOf: FLY_PRICES.asOf,
    pricesSource: FLY_PRICES.source,
  };
}

/** One line for `pulumi preview`/`up`: the figure and its bounds. */
export function costSummary(e: StackCostEstimate): string {
  const region = e.regionPriceDocumented ? e.region : `${e.region} (at iad prices: its multiplier is not published)`;
  return (
    `Estimated Fly.io cost: about ${usd(e.usd)}/month with the VM awake ${e.vmHoursPerDay} h/day ` +
    `(${usd(e.idleUsd)} if it never wakes, ${usd(e.busyUsd)} if it never sleeps), region ${region}, ` +
    `prices of ${e.pricesAsOf} from fly.io/docs/about/pricing. Twilio and Anthropic bill separately.`
  );
}

export interface FleetCost {
  users: number;
  relay: "shared" | "per-user";
  totalUsd: number;
  perUserUsd: number;
}

/**
 * A fleet in one organization: every user has a VM and /data volume; the relay (machine, outbox
 * volume, addresses) is either one for all or one each. The free snapshot allowance is counted once.
 */
export function fleetCost(users: number, relay: "shared" | "per-user", s: StackSizing, usage: UsageAssumptions = DEFAULT_USAGE): FleetCost {
  if (!Number.isInteger(users) || users < 1) throw new Error(`fleetCost: users must be a whole number of at least 1 (got ${users})`);
  const relays = relay === "shared" ? 1 : users;
  const snapshotGb = users * s.volumeSizeGb + relays * s.relayVolumeGb;
  const totalUsd = relays * sum(relayLines(s)) + users * sum(vmLines(s, usage)) + snapshotsPerMonth(snapshotGb);
  return { users, relay, totalUsd, perUserUsd: totalUsd / users };
}
