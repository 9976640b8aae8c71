// The cost estimate against hand-computed figures from fly-prices.ts's published prices.
import { describe, expect, it } from "vitest";
import { costSummary, estimateStackCost, fleetCost, ipsPerMonth, snapshotsPerMonth, startedMachinePerMonth, type StackSizing } from "./estimate";
import { FLY_PRICES, regionPrice } from "./fly-prices";

const defaults: StackSizing = {
  region: "iad",
  relayMemoryMb: 256,
  vmMemoryMb: 2048,
  vmCpus: 1,
  volumeSizeGb: 3,
  vmAutostop: "stop",
  relayVolumeGb: 1,
  relayIps: ["shared_v4", "v6", "private_v6"],
  vmIps: ["private_v6"],
};

describe("one machine started all month", () => {
  it.each([
    // shared-cpu-1x 256 MB is the preset itself; Fly's blog lists it at $1.94
    [{ cpus: 1, memoryMb: 256 }, 1.94],
    // 1.75 GB beyond the preset at $5/GB: Fly's blog lists 2 GB at $10.70
    [{ cpus: 1, memoryMb: 2048 }, 1.94 + 1.75 * 5],
    // shared-cpu-2x includes 512 MB
    [{ cpus: 2, memoryMb: 512 }, 3.88],
    [{ cpus: 2, memoryMb: 1024 }, 3.88 + 0.5 * 5],
    // less memory than the preset includes costs the preset
    [{ cpus: 2, memoryMb: 256 }, 3.88],
  ])("%o in iad costs %d", (size, expected) => {
    expect(startedMachinePerMonth(size, "iad")).toBeCloseTo(expected, 10);
  });

  it("applies a documented region multiplier (lax: $2.33 for what costs $1.94 in iad)", () => {
    expect(startedMachinePerMonth({ cpus: 1, memoryMb: 256 }, "lax")).toBeCloseTo(2.33, 10);
    expect(regionPrice("lax")).toEqual({ multiplier: 2.33 / 1.94, documented: true });
  });

  it("uses iad's price for a region whose multiplier is not published, and says so", () => {
    expect(regionPrice("ord")).toEqual({ multiplier: 1, documented: false });
    const e = estimateStackCost({ ...defaults, region: "ord" });
    expect(e.regionPriceDocumented).toBe(false);
    expect(e.assumptions.join("\n")).toContain("ord's compute multiplier is not in Fly's docs source");
    expect(costSummary(e)).toContain("region ord (at iad prices: its multiplier is not published)");
  });
});

describe("a stack", () => {
  it("adds the relay, the VM at 4 h/day awake, both volumes and free addresses", () => {
    const e = estimateStackCost(defaults);
    const byItem = Object.fromEntries(e.lines.map((l) => [l.item, l.usd]));
    expect(byItem["Relay machine"]).toBeCloseTo(1.94, 10);
    expect(byItem["Relay volume"]).toBeCloseTo(0.15, 10);
    expect(byItem["VM machine, awake"]).toBeCloseTo((10.69 * 4) / 24, 10);
    expect(byItem["VM machine, asleep (stopped)"]).toBeCloseTo((1.5 * 0.15 * 20) / 24, 10);
    expect(byItem["VM /data volume"]).toBeCloseTo(0.45, 10);
    expect(byItem["Relay addresses"]).toBe(0);
    expect(byItem["Volume snapshots"]).toBe(0);
    expect(e.usd).toBeCloseTo(1.94 + 0.15 + (10.69 * 4) / 24 + (1.5 * 0.15 * 20) / 24 + 0.45, 10);
    expect(e.idleUsd).toBeCloseTo(1.94 + 0.15 + 1.5 * 0.15 + 0.45, 10);
    expect(e.busyUsd).toBeCloseTo(1.94 + 0.15 + 10.69 + 0.45, 10);
    expect(e.pricesAsOf).toBe(FLY_PRICES.asOf);
  });

  it("follows the config: a bigger VM, a bigger volume and suspend", () => {
    const base = estimateStackCost(defaults);
    const bigger = estimateStackCost({ ...defaults, vmMemoryMb: 4096, vmCpus: 2, volumeSizeGb: 20, vmAutostop: "suspend" });
    expect(bigger.busyUsd - base.busyUsd).toBeCloseTo(3.88 + 3.5 * 5 - 10.69 + 17 * 0.15 + 11 * 0.08, 10);
    // 21 GB of volumes: 11 GB of snapshots beyond the free 10
    expect(bigger.lines.find((l) => l.item === "Volume snapshots")!.usd).toBeCloseTo(11 * 0.08, 10);
    expect(bigger.lines.map((l) => l.item)).toContain("VM machine, asleep (suspended)");
  });

  it("an always-on VM (autostop off) is awake all day, whatever the usage assumed", () => {
    const always = estimateStackCost({ ...defaults, vmAutostop: "off" });
    expect(always.vmHoursPerDay).toBe(24);
    expect(always.usd).toBeCloseTo(always.busyUsd, 10);
    expect(always.idleUsd).toBeCloseTo(always.busyUsd, 10);
    expect(costSummary(always)).toContain("with the VM awake 24 h/day");
  });

  it("charges a dedicated IPv4 and nothing for shared or private addresses", () => {
    expect(ipsPerMonth(["shared_v4", "v6", "private_v6"])).toBe(0);
    expect(ipsPerMonth(["v4", "v6"])).toBe(2);
  });

  it("counts only snapshot storage beyond the organization's free 10 GB", () => {
    expect(snapshotsPerMonth(4)).toBe(0);
    expect(snapshotsPerMonth(15)).toBeCloseTo(0.4, 10);
    expect(snapshotsPerMonth(15, 0)).toBeCloseTo(1.2, 10);
  });

  it("summarises the figure and its bounds in one line", () => {
    expect(costSummary(estimateStackCost(defaults))).toBe(
      "Estimated Fly.io cost: about $4.51/month with the VM awake 4 h/day ($2.76 if it never wakes, $13.23 if it never sleeps), " +
        `region iad, prices of ${FLY_PRICES.asOf} from fly.io/docs/about/pricing. Twilio and Anthropic bill separately.`,
    );
  });
});

describe("a fleet", () => {
  it("one user with their own relay costs what one stack costs", () => {
    expect(fleetCost(1, "per-user", defaults).totalUsd).toBeCloseTo(estimateStackCost(defaults).usd, 10);
  });

  it("a shared relay spreads the relay over the users and counts the free snapshot storage once", () => {
    const shared = fleetCost(10, "shared", defaults);
    const own = fleetCost(10, "per-user", defaults);
    const relay = 1.94 + 0.15;
    const vm = (10.69 * 4) / 24 + (1.5 * 0.15 * 20) / 24 + 0.45;
    // 10 × 3 GB + 1 GB = 31 GB of snapshots, 21 beyond the free 10
    expect(shared.totalUsd).toBeCloseTo(relay + 10 * vm + 21 * 0.08, 10);
    expect(own.totalUsd).toBeCloseTo(10 * relay + 10 * vm + 30 * 0.08, 10);
    expect(shared.perUserUsd).toBeLessThan(own.perUserUsd);
  });

  it("refuses a fleet of no users", () => {
    expect(() => fleetCost(0, "shared", defaults)).toThrow("fleetCost: users must be a whole number of at least 1 (got 0)");
  });
});
