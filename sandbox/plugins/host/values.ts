// Property values as the engine sends them to a provider that accepts secrets (ConfigureResponse
// acceptSecrets): plain JSON, except for three reserved shapes defined by Pulumi's wire format
// (sdk/go/common/resource/plugin/rpc.go, sdk/nodejs/runtime/rpc.ts): a secret is an object whose
// special-signature key holds the secret signature and whose `value` holds the value; a value the
// engine does not know yet (preview) is the unknown sentinel string; assets and archives carry
// their own signature. Pure helpers, no gRPC.

export const SPECIAL_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };
export type PropertyMap = Record<string, Value>;

export interface Secret {
  [SPECIAL_SIG]: typeof SECRET_SIG;
  value: Value;
}

export function isSecret(v: unknown): v is Secret {
  return typeof v === "object" && v !== null && !Array.isArray(v) && (v as Record<string, unknown>)[SPECIAL_SIG] === SECRET_SIG;
}

export function secret(value: Value): Value {
  return isSecret(value) ? value : ({ [SPECIAL_SIG]: SECRET_SIG, value } as unknown as Value);
}

/** The value with every secret wrapper removed (for computing with it, never for returning it). */
export function reveal(v: Value | undefined): Value | undefined {
  if (isSecret(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map((e) => reveal(e) as Value);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, reveal(e) as Value]));
  }
  return v;
}

/** True when the value is, or contains, a secret. */
export function containsSecret(v: Value | undefined): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsSecret);
  return false;
}

/** True when the value is, or contains, the engine's unknown sentinel (preview only). */
export function containsUnknown(v: Value | undefined): boolean {
  if (v === UNKNOWN) return true;
  if (isSecret(v)) return containsUnknown(v.value);
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsUnknown);
  return false;
}

/** Deep equality of two property values, secrets compared by what they hold. */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  return JSON.stringify(canonical(reveal(a))) === JSON.stringify(canonical(reveal(b)));
}

function canonical(v: Value | undefined): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  }
  return v;
}

/** Drops keys whose value is null or undefined, as the engine does with SkipNulls. */
export function withoutNulls(map: Record<string, Value | undefined>): PropertyMap {
  return Object.fromEntries(Object.entries(map).filter(([, v]) => v !== null && v !== undefined)) as PropertyMap;
}
