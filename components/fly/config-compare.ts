// Which parts of a machine config Fly reports back belong to the program. Fly echoes a config with more
// than it was sent: mounts carry the volume's `name`, `size_gb` and `encrypted` (fly-go machine_types.go
// MachineMount; flyctl's deploy relies on the echoed mount name, internal/command/deploy/machines_launchinput.go),
// booleans for autostop "off"/"stop" (OpenAPI fly.MachineService.autostop), and defaults for what was left
// out. Refresh and rollouts compare only what the program sets, so Fly's additions are neither drift nor a
// config that "reads back different". Pure; table-tested in tests/providers/config-compare.test.ts.
import type { MachineConfig } from "./client";
import { jsonEqual } from "./diff";

/** The config fields the stack sets; Fly may add others (metadata, defaults) that are not ours. */
export const OWNED_FIELDS = ["image", "env", "guest", "services", "checks", "mounts"] as const;

/** Maps whose every key is the program's: a key added outside Pulumi is drift, not a Fly default. */
const WHOLE_MAPS = new Set(["env"]);

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * `got` narrowed to the shape of `want`: for objects, only the keys `want` has (recursively); arrays element by
 * element when both have the same length (a different length is a difference and is kept whole); whole maps
 * (env) and scalars as they are. What is left is exactly what the program owns, with Fly's values.
 */
export function projectOnto(want: unknown, got: unknown, key = ""): unknown {
  if (WHOLE_MAPS.has(key)) return got;
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return got;
    return got.map((g, i) => projectOnto(want[i], g));
  }
  if (isPlainObject(want) && isPlainObject(got)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(want)) if (k in got) out[k] = projectOnto(want[k], got[k], k);
    return out;
  }
  return got;
}

/** The fields the program sets in this config: one it leaves out is Fly's to fill (a default), not drift. */
const setFields = (want: MachineConfig) => OWNED_FIELDS.filter((k) => want[k] !== undefined);

/** The owned fields of what Fly reports, in the program's shape. */
export function ownedView(want: MachineConfig, got: MachineConfig): Partial<MachineConfig> {
  const out: Record<string, unknown> = {};
  for (const k of setFields(want)) {
    if (got[k] !== undefined) out[k] = projectOnto(want[k], got[k], k);
  }
  return out as Partial<MachineConfig>;
}

/** The fields in which Fly's config differs from the program's (for messages). */
export function differingFields(want: MachineConfig, got: MachineConfig): string[] {
  const view = ownedView(want, got) as Record<string, unknown>;
  return setFields(want).filter((k) => !jsonEqual(want[k], view[k]));
}

/** Whether Fly runs what the program asked for, in every field the program sets (after an update, and on refresh). */
export function configMatches(want: MachineConfig, got: MachineConfig): boolean {
  return differingFields(want, got).length === 0;
}
