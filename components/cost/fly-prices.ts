// Fly.io's pay-as-you-go prices: the ONE place the cost estimate takes its figures from. Change a
// price here (with its source and date) and the stack output, the preview line and the README's
// cost table (scripts/gen-cost-docs.ts) all follow.
//
// Read on 2026-12-01 from the source of https://fly.io/docs/about/pricing/ and /docs/about/billing/:
// superfly/docs `about/pricing.html.markerb` at 84fd3d004df2 (2026-08-05, the newest change to the
// page) and `about/billing.html.markerb` at the same snapshot. The started-machine preset matrix is
// rendered from data that is not in the docs repository (`partial("shared/cpu_mem_machines_pricing")`,
// `data.pricing.regions[].markup_ratio`), so the shared-cpu-1x price and the region multipliers come
// from the last figures the page itself printed (its per-region rollout callout, removed in 0fac7b68,
// 2025-10-16), which agree with Fly's blog "New VMs: more RAM, extra CPU, and a dollar menu"
// ($0.0000008/s = $1.94/mo for 256 MB, $10.70/mo for 2 GB).

export const FLY_PRICES = {
  currency: "USD",
  asOf: "2026-12-01",
  source:
    "https://fly.io/docs/about/pricing/ (superfly/docs about/pricing.html.markerb @ 84fd3d0, 2026-08-05; about/billing.html.markerb)",
  /** Fly prices compute "per 30 days" and everything else "per month": both are read as 30 days here. */
  daysPerMonth: 30,

  /**
   * A started shared-cpu-1x machine with its included 256 MB, in iad, per 30 days. "roughly
   * $1.94/month" (pricing page, rollout callout). shared-cpu-Nx is taken as N times this with N x 256 MB
   * included: the page's matrix (not in the docs source) lists 2x/512 MB, 4x/1 GB, 8x/2 GB at about
   * 2, 4 and 8 times the 1x price.
   */
  sharedCpuPerMonth: 1.94,
  sharedCpuIncludedMemoryMb: 256,
  /** "plus about $5 per 30 days per GB of additional RAM" (`baselineRamPricePer30Days = 5`), times the region multiplier. */
  additionalMemoryPerGbMonth: 5,

  /**
   * Stopped and suspended machines: "billed based on their root file system (rootfs) usage per
   * second ... by $0.15 per GB per month" (billing page). No CPU or RAM charge while asleep.
   */
  sleepingRootfsPerGbMonth: 0.15,

  /** Volumes: "$0.15/GB per month of provisioned capacity", attached or not, machine started or not. */
  volumePerGbMonth: 0.15,
  /** Volume snapshots: "$0.08/GB per month, First 10GB free each month" (per organization), stored size, incremental. */
  snapshotPerGbMonth: 0.08,
  snapshotFreeGbPerOrg: 10,
  /** Fly's default for new volumes: "Automatic daily snapshots with 5 days retention". */
  defaultSnapshotRetentionDays: 5,

  /** "Each application receives a shared IPv4 address and unlimited Anycast IPv6"; "Dedicated IPv4 addresses are $2/mo". */
  sharedIpv4PerMonth: 0,
  ipv6PerMonth: 0,
  dedicatedIpv4PerMonth: 2,
  /** Egress to the internet, North America and Europe (other region groups $0.04 and $0.12). */
  egressPerGbNorthAmericaEurope: 0.02,

  /**
   * Compute price multiplier per region, relative to iad. Only the regions whose price the docs
   * printed are here: iad (the baseline) and lax ($2.33 against $1.94). Every other region's
   * multiplier lives in data Fly does not publish in its docs source; the estimate then uses 1 and
   * says so. Volumes, snapshots and IPs have one price everywhere on the page.
   */
  regionMultipliers: { iad: 1, lax: 2.33 / 1.94 } as Record<string, number>,
} as const;

export interface RegionPrice {
  multiplier: number;
  /** False when the region's multiplier is not documented and iad's prices stand in. */
  documented: boolean;
}

export function regionPrice(region: string): RegionPrice {
  const known = FLY_PRICES.regionMultipliers[region];
  return known === undefined ? { multiplier: 1, documented: false } : { multiplier: known, documented: true };
}
