// One user's stack configuration from the declared fleet: pure (no Pulumi, no I/O), so what
// `fleet up` sets is table-tested. The program (index.ts, config.ts) reads it as it reads any
// stack's config; the fleet adds no key of its own.
import type { SecretKey } from "../config";
import { TIER_AUTOSTOP, stackNameOf, type FleetFile, type FleetUser, type SecretsFile, type SecretSet } from "./schema";

/** Every key the fleet manages, without the `textslash:` namespace (others a stack has are left alone). */
export const FLEET_KEYS = [
  "prefix", "org", "region", "imageRegistry", "relayImage", "vmImage", "volumeSizeGb", "vmMemoryMb", "vmAutostop",
  "twilioAccountSid", "twilioWhatsappNumber", "allowedPhoneNumbers", "allowDataLoss", "flyApiUrl",
] as const;
export const FLEET_SECRET_KEYS: readonly SecretKey[] = ["twilioAuthToken", "anthropicApiKey", "githubToken", "flyApiToken"];
/** What the program refuses to run without (config.ts requiredSecrets). */
const REQUIRED_SECRETS: readonly SecretKey[] = ["twilioAuthToken", "anthropicApiKey"];

export interface DesiredConfig {
  stackName: string;
  /** textslash:<key> → value; a key absent here is removed from the stack when it is a fleet key. */
  plain: Record<string, string>;
  /** textslash:<key> → value, set with --secret. Only the secrets the secrets file has. */
  secrets: Record<string, string>;
}

/**
 * The config `fleet up` converges a user's stack to. Images: a stack that already runs images keeps
 * them (`current`), because images move only through `fleet rollout`, which never interrupts a busy
 * VM; a new stack starts on the declared ones.
 */
export function desiredConfig(fleet: FleetFile, user: FleetUser, secrets: SecretsFile, current: { relayImage?: string; vmImage?: string } = {}): DesiredConfig {
  const s = fleet.shared;
  const plain: Record<string, string | undefined> = {
    prefix: stackNameOf(fleet.fleet, user.id),
    org: s.org,
    region: user.region ?? s.region,
    imageRegistry: s.imageRegistry,
    relayImage: current.relayImage || s.relayImage,
    vmImage: current.vmImage || s.vmImage,
    volumeSizeGb: user.volumeSizeGb ?? s.volumeSizeGb,
    vmMemoryMb: s.vmMemoryMb,
    vmAutostop: TIER_AUTOSTOP[user.tier ?? s.tier],
    twilioAccountSid: s.twilioAccountSid,
    twilioWhatsappNumber: user.twilioWhatsappNumber ?? s.twilioWhatsappNumber,
    allowedPhoneNumbers: user.allowedNumbers.join(","),
    allowDataLoss: String(user.allowDataLoss),
    flyApiUrl: s.flyApiUrl,
  };
  const own: SecretSet = { ...secrets.shared, ...(secrets.users[user.id] ?? {}) };
  const secretValues: Record<string, string> = {};
  for (const key of FLEET_SECRET_KEYS) {
    const value = own[key];
    if (value !== undefined) secretValues[`textslash:${key}`] = value;
  }
  return {
    stackName: stackNameOf(fleet.fleet, user.id),
    plain: Object.fromEntries(Object.entries(plain).flatMap(([k, v]) => (v === undefined ? [] : [[`textslash:${k}`, v]]))),
    secrets: secretValues,
  };
}

/** Required secrets neither the secrets file nor the stack has, worded with the fix. */
export function missingSecrets(user: FleetUser, desired: DesiredConfig, stackHas: (fullKey: string) => boolean, secretsFile: string | undefined): string[] {
  return REQUIRED_SECRETS.filter((key) => desired.secrets[`textslash:${key}`] === undefined && !stackHas(`textslash:${key}`)).map(
    (key) =>
      `user ${user.id}: textslash:${key} is not set; add users.${user.id}.${key} (or shared.${key}) to ` +
      `${secretsFile ?? "a secrets file outside git"} and pass it with --secrets`,
  );
}

export interface ConfigChange {
  set: Record<string, { value: string; secret: boolean }>;
  remove: string[];
}

/**
 * What must change in a stack whose config is `existing` (decrypted values, as `pulumi config --json`
 * shows them: Pulumi.yaml's defaults included) to be `desired`. A fleet key the fleet no longer sets
 * is removed only when it holds something other than its default (`defaults`, textslash:<key> → value).
 */
export function configChange(desired: DesiredConfig, existing: Record<string, string>, defaults: Record<string, string> = {}): ConfigChange {
  const set: ConfigChange["set"] = {};
  for (const [key, value] of Object.entries(desired.plain)) if (existing[key] !== value) set[key] = { value, secret: false };
  for (const [key, value] of Object.entries(desired.secrets)) if (existing[key] !== value) set[key] = { value, secret: true };
  const remove = FLEET_KEYS.map((k) => `textslash:${k}`).filter((key) => key in existing && !(key in desired.plain) && existing[key] !== (defaults[key] ?? ""));
  return { set, remove };
}
