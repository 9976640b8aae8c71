// random.RandomPassword (token random:index/randomPassword:RandomPassword) as @pulumi/random 4.21.2
// serves it: pulumi-random bridges hashicorp/terraform-provider-random v3.9.0 (commit f8d869dc, the
// one pulumi-random's provider/go.mod requires), whose internal/provider/resource_password.go
// (passwordSchemaV3) and internal/random/string.go this file follows:
// - inputs (Pulumi names of the TF attributes): length (required, >= 1 and >= the sum of the
//   min* fields), keepers (map of strings), special/upper/lower (default true), numeric and its
//   deprecated twin number (default true, must agree), minNumeric/minUpper/minLower/minSpecial
//   (default 0), overrideSpecial;
// - every input forces replacement (RequiresReplace), with two exceptions: keepers only when a
//   value actually changes (mapplanmodifiers.RequiresReplaceIfValuesNotNull: adding null values
//   is no change), and overrideSpecial going from "" to unset;
// - outputs: the inputs with defaults filled, `result` and `bcryptHash` (Sensitive, hence secret
//   outputs in Pulumi), id "none"; Read, Update and Delete do nothing.
// Known differences: bcryptHash is made with bcryptjs ($2b$ prefix; Go's x/crypto/bcrypt writes
// $2a$, the same hash function), and validation messages are this file's wording.
import { randomInt } from "node:crypto";
import bcrypt from "bcryptjs";
import type { CheckFailure, DiffKind, DiffResult } from "../host/types";
import { containsUnknown, reveal, sameValue, secret, type PropertyMap, type Value } from "../host/values";

export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

const NUM = "0123456789";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

export interface PasswordParams {
  length: number;
  special: boolean;
  upper: boolean;
  lower: boolean;
  numeric: boolean;
  minNumeric: number;
  minUpper: number;
  minLower: number;
  minSpecial: number;
  overrideSpecial: string;
}

const boolFields = ["special", "upper", "lower", "numeric", "number"] as const;
const intFields = ["length", "minNumeric", "minUpper", "minLower", "minSpecial"] as const;

/** The inputs with the schema's defaults applied (Default / NumberNumericAttributePlanModifier). */
export function withDefaults(inputs: PropertyMap): PropertyMap {
  const out: PropertyMap = { ...inputs };
  for (const f of ["special", "upper", "lower"] as const) out[f] ??= true;
  for (const f of ["minNumeric", "minUpper", "minLower", "minSpecial"] as const) out[f] ??= 0;
  const numeric = out.numeric ?? out.number ?? true;
  out.numeric = numeric;
  out.number = numeric;
  return out;
}

/** The resource's validators, with the Pulumi property name of each failure. */
export function checkPassword(news: PropertyMap): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const v = reveal(news) as Record<string, Value>;
  if (v.length === undefined || v.length === null) failures.push({ property: "length", reason: "Missing required property 'length'" });
  for (const f of intFields) {
    const x = v[f];
    if (x !== undefined && x !== null && !containsUnknown(x) && !(typeof x === "number" && Number.isInteger(x))) {
      failures.push({ property: f, reason: `${f} must be a whole number (got ${JSON.stringify(x)})` });
    }
  }
  for (const f of boolFields) {
    const x = v[f];
    if (x !== undefined && x !== null && !containsUnknown(x) && typeof x !== "boolean") failures.push({ property: f, reason: `${f} must be a boolean` });
  }
  if (failures.length > 0 || containsUnknown(news)) return failures;
  const p = withDefaults(v);
  const length = p.length as number;
  const mins = (p.minUpper as number) + (p.minLower as number) + (p.minNumeric as number) + (p.minSpecial as number);
  if (length < 1) failures.push({ property: "length", reason: `length must be at least 1, got: ${length}` });
  else if (length < mins) failures.push({ property: "length", reason: `length must be at least the sum of min_upper, min_lower, min_numeric and min_special (${mins}), got: ${length}` });
  if (typeof v.number === "boolean" && typeof v.numeric === "boolean" && v.number !== v.numeric) {
    failures.push({ property: "numeric", reason: "Number and numeric are both configured with different values: number is deprecated, use numeric instead" });
  }
  if (!p.special && !p.upper && !p.lower && !p.numeric) {
    failures.push({ property: "numeric", reason: "at least one of special, upper, lower and numeric must be true" });
  }
  return failures;
}

/** internal/random/string.go CreateString: the minimums first, the rest from the whole set, shuffled. */
export function createString(p: PasswordParams, pick: (n: number) => number = randomInt): string {
  const special = p.overrideSpecial !== "" ? p.overrideSpecial : SPECIAL;
  const chars = (p.upper ? UPPER : "") + (p.lower ? LOWER : "") + (p.numeric ? NUM : "") + (p.special ? special : "");
  if (chars === "") throw new Error("the character set specified is empty");
  const from = (set: string, n: number): string[] => {
    const runes = [...set];
    return Array.from({ length: Math.max(0, n) }, () => runes[pick(runes.length)]!);
  };
  const result = [...from(NUM, p.minNumeric), ...from(LOWER, p.minLower), ...from(UPPER, p.minUpper), ...from(special, p.minSpecial)];
  result.push(...from(chars, p.length - result.length));
  // Shuffle (Fisher-Yates with a CSPRNG; the Go code sorts by random bytes, to the same end).
  for (let i = result.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result.join("");
}

const paramsOf = (inputs: PropertyMap): PasswordParams => {
  const p = withDefaults(reveal(inputs) as PropertyMap);
  return {
    length: p.length as number,
    special: p.special as boolean,
    upper: p.upper as boolean,
    lower: p.lower as boolean,
    numeric: p.numeric as boolean,
    minNumeric: p.minNumeric as number,
    minUpper: p.minUpper as number,
    minLower: p.minLower as number,
    minSpecial: p.minSpecial as number,
    overrideSpecial: typeof p.overrideSpecial === "string" ? p.overrideSpecial : "",
  };
};

/** The state a create leaves: inputs with defaults, the secret result and its bcrypt hash. */
export function createPassword(inputs: PropertyMap): PropertyMap {
  const result = createString(paramsOf(inputs));
  return { ...withDefaults(inputs), result: secret(result), bcryptHash: secret(bcrypt.hashSync(result, 10)) };
}

/** RequiresReplaceIfValuesNotNull: a keepers change replaces unless it only adds or keeps null values. */
export function keepersForceReplace(old: Value | undefined, now: Value | undefined): boolean {
  const o = (reveal(old) ?? null) as Record<string, Value> | null;
  const n = (reveal(now) ?? null) as Record<string, Value> | null;
  if (n === null) return false;
  if (sameValue(o, n)) return false;
  if (o === null) return Object.values(n).some((v) => v !== null);
  for (const [k, v] of Object.entries(n)) {
    if (!(k in o) && v === null) continue;
    if (sameValue(v, o[k])) continue;
    return true;
  }
  return Object.keys(o).some((k) => !(k in n));
}

/** The plan against the recorded state: which inputs changed, and that each change replaces. */
export function diffPassword(oldOutputs: PropertyMap, news: PropertyMap): DiffResult {
  const olds = withDefaults(oldOutputs);
  const now = withDefaults(news);
  const detailedDiff: Record<string, DiffKind> = {};
  for (const f of [...intFields, ...boolFields]) {
    if (!sameValue(olds[f], now[f])) detailedDiff[f] = "update-replace";
  }
  if (!sameValue(olds.overrideSpecial ?? null, now.overrideSpecial ?? null)) {
    const toUnsetFromEmpty = olds.overrideSpecial === "" && (now.overrideSpecial ?? null) === null;
    detailedDiff.overrideSpecial = toUnsetFromEmpty ? "update" : "update-replace";
  }
  if (!sameValue(olds.keepers ?? null, now.keepers ?? null)) {
    detailedDiff.keepers = keepersForceReplace(olds.keepers, now.keepers) || containsUnknown(now.keepers) ? "update-replace" : "update";
  }
  const keys = Object.keys(detailedDiff);
  const replaces = keys.filter((k) => detailedDiff[k]!.endsWith("replace"));
  return { changes: keys.length > 0, replaces, detailedDiff };
}
