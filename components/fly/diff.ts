// Pure diff tables for the Fly dynamic resources: for each kind, which input fields update in
// place and which force a replacement (and why). docs/resources.md mirrors these tables; the
// tests in diff.test.ts pin them. Unknown inputs during preview (pulumi/pulumi#6310) are counted
// as a change of that field, so a preview never claims "no change" for a value it cannot see.
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Where the engine keeps a dynamic resource's serialized provider, in both olds and news. */
export const PROVIDER_KEY = "__provider";

export interface FieldRule {
  replace: boolean;
  why: string;
}

export type DiffTable = Record<string, FieldRule>;

export const appDiffTable: DiffTable = {
  name: { replace: true, why: "Fly app names are immutable (they are the DNS name)" },
  orgSlug: { replace: true, why: "an app cannot move organisations through the Machines API" },
  adopt: { replace: false, why: "only affects create" },
  privateOnly: { replace: false, why: "enforced by releasing public addresses in place" },
  allowDataLoss: { replace: false, why: "only read by delete (recorded for destroy); no Fly call" },
};

export const volumeDiffTable: DiffTable = {
  appName: { replace: true, why: "a volume belongs to one app" },
  name: { replace: true, why: "volume names cannot be changed" },
  region: { replace: true, why: "a volume lives on a host in one region" },
  sizeGb: { replace: false, why: "volumes extend in place (shrinking is refused in check)" },
  snapshotRetention: { replace: false, why: "updated in place (PUT volume); applies to new snapshots" },
  restoreFromSnapshot: { replace: true, why: "a volume is filled from a snapshot only when created (clearing the key changes nothing)" },
  backup: { replace: false, why: "only affects delete (snapshot first)" },
  keptOnDestroy: { replace: false, why: "only affects what delete prints" },
  adopt: { replace: false, why: "only affects create" },
};

export const secretsDiffTable: DiffTable = {
  appName: { replace: true, why: "secrets belong to one app" },
  digests: { replace: false, why: "secrets are set in place; a new secrets version is made" },
  values: { replace: false, why: "secrets are set in place; a new secrets version is made" },
};

export const ipDiffTable: DiffTable = {
  appName: { replace: true, why: "an address is allocated to one app" },
  type: { replace: true, why: "an allocation's type (v4/v6/private_v6) cannot change" },
  region: { replace: true, why: "an allocation's region cannot change" },
};

export const machineDiffTable: DiffTable = {
  appName: { replace: true, why: "a machine belongs to one app" },
  region: { replace: true, why: "a machine lives on a host in one region" },
  volumeId: { replace: true, why: "a volume attaches only to a machine created with it on its host" },
  name: { replace: false, why: "only used at create: an update keeps the machine's current name (flyctl sends it; the sandbox refuses a rename)" },
  config: { replace: false, why: "image, env, guest, services and checks update in place (lease + new version)" },
  secretsVersion: { replace: false, why: "rolled in place with min_secrets_version" },
  autostopMode: { replace: false, why: "services config, updated in place" },
  adopt: { replace: false, why: "only affects create; the machine provider leaves it out of its diff, so it never restarts a machine" },
};

export interface DiffOutcome {
  changes: boolean;
  replaces: string[];
  updates: string[];
  /** Stable names of the changed properties that are not in the table (treated as updates). */
  unknownFields: string[];
}

function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** Deterministic structural equality over plain JSON (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

/**
 * The stored outputs narrowed to the input fields. A provider's outputs carry more than its inputs
 * (ids, `adopted`, addresses); comparing those against news (which never have them) would report a
 * change on every run and break `preview --expect-no-changes`.
 */
export function inputFieldsOf(olds: Record<string, unknown>, inputKeys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of inputKeys) if (key in olds) out[key] = olds[key];
  return out;
}

/** Compares olds and news field by field against a table. Pure. */
export function diffByTable(table: DiffTable, olds: Record<string, unknown>, news: Record<string, unknown>): DiffOutcome {
  const replaces: string[] = [];
  const updates: string[] = [];
  const unknownFields: string[] = [];
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort();
  for (const key of keys) {
    if (key === "providerVersion") continue; // compared separately: forces an update, never a replace
    // The engine's serialized provider text: it changes with the checkout's path, which is no
    // reason to touch a Fly object (code changes that matter bump providerVersion).
    if (key === PROVIDER_KEY) continue;
    const changed = containsUnknown(news[key]) || !jsonEqual(olds[key], news[key]);
    if (!changed) continue;
    const rule = table[key];
    if (!rule) unknownFields.push(key);
    if (rule?.replace) replaces.push(key);
    else updates.push(key);
  }
  if (olds.providerVersion !== news.providerVersion) updates.push("providerVersion");
  return { changes: replaces.length + updates.length > 0, replaces, updates, unknownFields };
}
