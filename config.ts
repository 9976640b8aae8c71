// Stack configuration, parsed once with zod. Every bad key is reported together, before any
// Fly API call: the program reads all keys as raw strings, validates them in one pass, and only
// then builds resources. Secrets are returned as pulumi secret Outputs, never as plain values.
// Each problem names the key, what is wrong with the value (and what is allowed), and the exact
// `pulumi config` command that fixes it; it is thrown as a RunError, which Pulumi prints once,
// as written, without a stack trace.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { z } from "zod";
import { FLY_REGION_CODES, FLY_REGIONS_SOURCE, FLY_SIZES_SOURCE, SHARED_CPU_COUNTS, VOLUME_MAX_GB, VOLUME_MIN_GB,
  nearestSharedMemory, sharedMemoryProblem } from "./components/fly-catalog";
import { imageReferenceProblem } from "./components/image-reference";
import { prefixFromStackName, prefixProblem } from "./components/naming";
import { closestKey, fixFor, shown, type ConfigProblem } from "./components/config-problems";

const e164 = /^\+[1-9][0-9]{6,14}$/;
const wholeNumber = (what: string, min: number, max: number) =>
  z.string()
    .regex(/^[0-9]+$/, { error: (iss) => `${shown(iss.input)} is not a whole number of ${what}` })
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min} ${what}`).max(max, `must be at most ${max} ${what}`));
const boolean = z.enum(["true", "false"], { error: (iss) => `${shown(iss.input)} is not true or false` }).transform((v) => v === "true");
/** A published image to run instead of building services/<name>; "" (the default) builds this checkout's. */
const image = z.string().check((ctx) => {
  const problem = ctx.value === "" ? undefined : imageReferenceProblem(ctx.value);
  if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: `${shown(ctx.value)} ${problem}` });
});
const required = (what: string) => ({ error: (iss: { input?: unknown }) => (iss.input === undefined ? `is required: ${what}` : `${shown(iss.input)} is not ${what}`) });

export const settingsSchema = z.object({
  prefix: z.string().default(""),
  org: z.string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, { error: (iss) => `${shown(iss.input)} is not a Fly organization slug: lower-case letters, digits and '-' (\`fly orgs list\` shows yours)` })
    .default("personal"),
  region: z.enum(FLY_REGION_CODES, {
    error: (iss) => `${shown(iss.input)} is not a Fly region; Fly's regions are ${FLY_REGION_CODES.join(", ")} (${FLY_REGIONS_SOURCE})`,
  }).default("ord"),
  relayImage: image.default(""),
  vmImage: image.default(""),
  vmBrowser: z.enum(["playwright", "debian"], { error: (iss) => `${shown(iss.input)} is not playwright or debian` }).default("playwright"),
  imageRegistry: z.string()
    .regex(/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d+)?\/?$/, {
      error: (iss) => `${shown(iss.input)} is not a registry host such as registry.fly.io (http://host:port for a plain-HTTP registry)`,
    })
    .default("registry.fly.io"),
  relayMemoryMb: wholeNumber("MB", 0, 1 << 20).default(256),
  vmMemoryMb: wholeNumber("MB", 0, 1 << 20).default(2048),
  vmCpus: z.enum(SHARED_CPU_COUNTS.map(String) as [string, ...string[]], {
    error: (iss) => `${shown(iss.input)} is not a number of shared CPUs Fly offers; choose ${SHARED_CPU_COUNTS.join(", ")} (shared-cpu-1x to -8x, ${FLY_SIZES_SOURCE})`,
  }).transform(Number).default(1),
  volumeSizeGb: wholeNumber("GB", VOLUME_MIN_GB, VOLUME_MAX_GB).default(3),
  // off: the VM is never put to sleep (a fleet's always-on tier); switching is an in-place machine update.
  vmAutostop: z.enum(["stop", "suspend", "off"], { error: (iss) => `${shown(iss.input)} is not stop, suspend or off` }).default("stop"),
  allowDataLoss: boolean.default(false),
  snapshotRetentionDays: wholeNumber("days", 1, 60).default(5),
  restoreFromSnapshot: z.string()
    .regex(/^(latest|vs_[A-Za-z0-9]+)$/, { error: (iss) => `${shown(iss.input)} is not a snapshot id like vs_… (\`fly volumes snapshots list <volume id>\`) or latest` })
    .optional(),
  keepBackupOnDestroy: boolean.default(false),
  tokenRotation: z.string().default(""),
  adoptExisting: boolean.default(false),
  flyApiUrl: z.url({ protocol: /^https?$/, error: (iss) => `${shown(iss.input)} is not an http:// or https:// URL` }).optional(),
  // Twilio SIDs are a two-letter prefix and 32 hex digits, AC for an account
  // (https://www.twilio.com/docs/glossary/what-is-a-sid).
  twilioAccountSid: z.string(required("your Twilio Account SID: AC followed by 32 hex digits, from the Twilio console"))
    .regex(/^AC[0-9a-fA-F]{32}$/, { error: (iss) => `${shown(iss.input)} is not a Twilio Account SID: AC followed by 32 hex digits, from the Twilio console` }),
  twilioWhatsappNumber: z.string(required("the WhatsApp sender's number in E.164 form, e.g. +14155238886"))
    .regex(e164, { error: (iss) => `${shown(iss.input)} is not a number in E.164 form, e.g. +14155238886` }),
  // A Messaging Service (MG) or WhatsApp sender (XE) whose incoming-message webhook `up` sets.
  twilioWebhookSid: z.string()
    .regex(/^(MG|XE)[0-9a-fA-F]{32}$/, { error: (iss) => `${shown(iss.input)} is not a Messaging Service SID (MG + 32 hex digits) or a WhatsApp sender SID (XE + 32 hex digits)` })
    .optional(),
  allowedPhoneNumbers: z.string(required("comma-separated E.164 numbers, e.g. +15551234567,+15557654321")).check((ctx) => {
    const bad = ctx.value.split(",").map((n) => n.trim()).filter((n) => !e164.test(n));
    if (bad.length > 0) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: `${bad.map(shown).join(", ")} ${bad.length === 1 ? "is not a number" : "are not numbers"} in E.164 form, e.g. +15551234567` });
    }
  }),
});

/**
 * Sizes Fly offers depend on the CPU count, so memory is checked against the CPUs once each parsed
 * on its own (outside the object schema, so that a bad key elsewhere does not hide this one).
 */
function sizeProblems(raw: Record<string, string | undefined>): { key: "relayMemoryMb" | "vmMemoryMb"; problem: string; suggested: number }[] {
  const shape = settingsSchema.shape;
  const relay = shape.relayMemoryMb.safeParse(raw.relayMemoryMb);
  const vm = shape.vmMemoryMb.safeParse(raw.vmMemoryMb);
  const cpus = shape.vmCpus.safeParse(raw.vmCpus);
  const found: ReturnType<typeof sizeProblems> = [];
  const relayProblem = relay.success ? sharedMemoryProblem(1, relay.data) : undefined;
  if (relay.success && relayProblem) {
    found.push({ key: "relayMemoryMb", problem: `${relayProblem} (the relay is shared-cpu-1x; ${FLY_SIZES_SOURCE})`, suggested: nearestSharedMemory(1, relay.data) });
  }
  const vmProblem = vm.success && cpus.success ? sharedMemoryProblem(cpus.data, vm.data) : undefined;
  if (vm.success && cpus.success && vmProblem) {
    found.push({ key: "vmMemoryMb", problem: `${vmProblem} (textslash:vmCpus is ${cpus.data}; ${FLY_SIZES_SOURCE})`, suggested: nearestSharedMemory(cpus.data, vm.data) });
  }
  return found;
}

export const secretKeys = ["twilioAuthToken", "anthropicApiKey", "githubToken", "flyApiToken"] as const;
export type SecretKey = (typeof secretKeys)[number];
export const requiredSecrets: readonly SecretKey[] = ["twilioAuthToken", "anthropicApiKey"];
/** Keys without a default: `up` refuses to run until they are set. */
export const requiredKeys = ["twilioAccountSid", "twilioWhatsappNumber", "allowedPhoneNumbers", ...requiredSecrets] as const;
/** Every key the program reads, without the `textslash:` namespace. */
export const knownKeys: readonly string[] = [...Object.keys(settingsSchema.shape), ...secretKeys];

export type Settings = z.infer<typeof settingsSchema> & { prefix: string };

/** Refuses a stack configuration; Pulumi prints a RunError's message alone, once, without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `the stack configuration has ${problems.length === 1 ? "1 problem" : `${problems.length} problems`}; nothing was created or changed:\n` +
        problems.map((p) => `\n  ${p.key}: ${p.problem}\n    fix: ${p.fix}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/**
 * Pure: validates raw config strings (undefined = unset), the presence of secrets and the set of
 * keys. Throws one ConfigError listing every problem, each naming `textslash:<key>`, never echoing
 * a secret value.
 */
export function parseSettings(
  raw: Record<string, string | undefined>,
  secretsPresent: Partial<Record<SecretKey, boolean>>,
  stackName: string,
  plaintextSecrets: readonly SecretKey[] = [],
  setKeys: readonly string[] = [],
): Settings {
  const problems: ConfigProblem[] = [];
  const add = (key: string, problem: string, suggested?: string): void => {
    problems.push({ key: `textslash:${key}`, problem, fix: fixFor(key, suggested) });
  };
  for (const key of setKeys) {
    if (knownKeys.includes(key)) continue;
    const near = closestKey(key, knownKeys);
    problems.push({
      key: `textslash:${key}`,
      problem: `is not a textslash setting${near ? ` (did you mean textslash:${near}?)` : ""}, so it would be ignored; the settings are listed in the README's configuration reference`,
      fix: `pulumi config rm textslash:${key}${near ? `, then pulumi config set${secretKeys.includes(near as SecretKey) ? " --secret" : ""} textslash:${near} <value>` : ""}`,
    });
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) add(String(issue.path[0] ?? ""), issue.message);
  }
  for (const size of sizeProblems(raw)) add(size.key, size.problem, String(size.suggested));
  for (const key of requiredSecrets) {
    if (!secretsPresent[key]) add(key, "is required and not set");
  }
  for (const key of plaintextSecrets) add(key, "is stored in plain text; a secret must be set with --secret (Pulumi then keeps it encrypted)");
  let prefix = "";
  if (parsed.success) {
    try {
      prefix = parsed.data.prefix || prefixFromStackName(stackName);
      const bad = prefixProblem(prefix);
      if (bad) add("prefix", `${shown(prefix)} is not a valid prefix: ${bad}`, cleanedPrefix(prefix));
    } catch (err) {
      add("prefix", (err as Error).message);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return { ...parsed.data, prefix };
}

/** A valid prefix made from an invalid one, for the fix command (undefined when nothing is left). */
function cleanedPrefix(prefix: string): string | undefined {
  try {
    return prefixFromStackName(prefix);
  } catch {
    return undefined;
  }
}

export interface StackConfig {
  settings: Settings;
  secrets: Record<SecretKey, pulumi.Output<string>>;
}

/** Reads the stack's config through pulumi.Config and validates it (see parseSettings). */
export function loadStackConfig(): StackConfig {
  const config = new pulumi.Config("textslash");
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(settingsSchema.shape)) raw[key] = config.get(key) || undefined;
  const present: Partial<Record<SecretKey, boolean>> = {};
  const secrets = {} as Record<SecretKey, pulumi.Output<string>>;
  for (const key of secretKeys) {
    // Optional secrets default to "" in Pulumi.yaml: an empty value is the same as unset.
    present[key] = Boolean(pulumi.runtime.getConfig(`textslash:${key}`));
    secrets[key] = config.getSecret(key) ?? pulumi.secret("");
  }
  const plaintext = secretKeys.filter((key) => storedInPlainText(`textslash:${key}`));
  const setKeys = Object.keys(pulumi.runtime.allConfig())
    .filter((k) => k.startsWith("textslash:"))
    .map((k) => k.slice("textslash:".length));
  return { settings: parseSettings(raw, present, pulumi.getStack(), plaintext, setKeys), secrets };
}

/**
 * True when a non-empty value was set without --secret. Pulumi.yaml cannot mark the secrets
 * `secret: true` (see the comment there), so the program enforces it. The SDK's own check
 * (it backs Config.get's "use getSecret" warning) is missing from its typings, hence the cast;
 * if a future SDK drops it, the check is skipped rather than failing every deployment.
 */
function storedInPlainText(fullKey: string): boolean {
  const isConfigSecret = (runtimeConfig as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  const value = pulumi.runtime.getConfig(fullKey);
  return Boolean(value) && isConfigSecret !== undefined && !isConfigSecret(fullKey);
}
