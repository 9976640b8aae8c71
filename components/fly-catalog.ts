// What Fly.io offers, as this program validates config against it: regions and machine sizes.
// Pure data and helpers, no Pulumi or HTTP. Each list names its source and the date it was read;
// when Fly adds a region or a size, update the list here (and the date) and nothing else.

/**
 * Fly's regions: the table "Fly.io Regions" of https://fly.io/docs/reference/regions/
 * (superfly/docs reference/regions.html.markerb, commit 0a02708), read 2026-12-01. `fly platform
 * regions` prints the live list. Fly consolidated its regions in 2024-2025; codes such as `atl`,
 * `mad` or `sea` from older lists no longer take new machines or volumes.
 */
export const FLY_REGIONS = {
  ams: "Amsterdam, Netherlands",
  arn: "Stockholm, Sweden",
  bom: "Mumbai, India",
  cdg: "Paris, France",
  dfw: "Dallas, Texas (US)",
  ewr: "Secaucus, NJ (US)",
  fra: "Frankfurt, Germany",
  gru: "Sao Paulo, Brazil",
  iad: "Ashburn, Virginia (US)",
  jnb: "Johannesburg, South Africa",
  lax: "Los Angeles, California (US)",
  lhr: "London, United Kingdom",
  nrt: "Tokyo, Japan",
  ord: "Chicago, Illinois (US)",
  sin: "Singapore, Singapore",
  sjc: "San Jose, California (US)",
  syd: "Sydney, Australia",
  yyz: "Toronto, Canada",
} as const;
export type FlyRegion = keyof typeof FLY_REGIONS;
export const FLY_REGION_CODES = Object.keys(FLY_REGIONS) as [FlyRegion, ...FlyRegion[]];
export const FLY_REGIONS_SOURCE = "https://fly.io/docs/reference/regions/ (read 2026-12-01)";

/**
 * Shared-CPU machine sizes. Presets shared-cpu-1x/2x/4x/8x (fly-go machine_types.go,
 * `MachinePresets`, commit b45ae6e); memory "must be a multiple of 256 for shared sizes", at least
 * 256 MB and at most 2 GB per shared CPU (https://fly.io/docs/machines/guides-examples/machine-sizing/,
 * "General Rules" and "Custom Sizes"; fly-go MIN/MAX_MEMORY_MB_PER_SHARED_CPU), read 2026-12-01.
 * Both machines of this program use shared CPUs.
 */
export const SHARED_CPU_COUNTS = [1, 2, 4, 8] as const;
export const SHARED_MEMORY_STEP_MB = 256;
export const SHARED_MIN_MEMORY_MB_PER_CPU = 256;
export const SHARED_MAX_MEMORY_MB_PER_CPU = 2048;
export const FLY_SIZES_SOURCE = "https://fly.io/docs/machines/guides-examples/machine-sizing/ (read 2026-12-01)";

/** The memory sizes Fly offers for `cpus` shared CPUs, in MB. */
export function sharedMemoryRange(cpus: number): { min: number; max: number; step: number } {
  return { min: SHARED_MIN_MEMORY_MB_PER_CPU * cpus, max: SHARED_MAX_MEMORY_MB_PER_CPU * cpus, step: SHARED_MEMORY_STEP_MB };
}

/** Why Fly would refuse `memoryMb` on `cpus` shared CPUs, or undefined when it is a size Fly offers. */
export function sharedMemoryProblem(cpus: number, memoryMb: number): string | undefined {
  const { min, max, step } = sharedMemoryRange(cpus);
  if (memoryMb % step === 0 && memoryMb >= min && memoryMb <= max) return undefined;
  return `${memoryMb} MB is not a size Fly offers for ${cpus} shared CPU${cpus === 1 ? "" : "s"}: ` +
    `a multiple of ${step} from ${min} to ${max} MB`;
}

/** The size Fly offers that is closest to `memoryMb` on `cpus` shared CPUs. */
export function nearestSharedMemory(cpus: number, memoryMb: number): number {
  const { min, max, step } = sharedMemoryRange(cpus);
  return Math.min(max, Math.max(min, Math.round(memoryMb / step) * step));
}

/** Volume sizes: 1 GB to 500 GB (https://fly.io/docs/volumes/overview/, read 2026-12-01). */
export const VOLUME_MIN_GB = 1;
export const VOLUME_MAX_GB = 500;
