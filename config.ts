// Stack configuration, parsed once with zod. Every bad key is reported together, before any
// Fly API call: the program reads all keys as raw strings, validates them in one pass, and only
// then builds resources. Secrets are returned as pulumi secret Outputs, never as plain values.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { z } from "zod";
import { prefixFromStackName, prefixProblem } from "./components/naming";

/** Non-secret keys with their defaults (the original deployment's values, see Pulumi.yaml). */
const intFrom = (min: number, max: number) =>
  z.coerce.number().int(`must be a whole number`).min(min).max(max);
const boolFrom = z.enum(["true", "false"], "must be true or false").transform((v) => v === "true");
const e164 = /^\+[1-9][0-9]{6,14}$/;

export const settingsSchema = z.object({
  prefix: z.string().default(""),
  org: z.string().min(1).default("personal"),
  region: z.string().regex(/^[a-z]{3}$/, "must be a 3-letter Fly region code, e.g. ord").default("ord"),
  relayImage: z.string().min(1).default("ghcr.io/sendtwothreeyears/textslash-relay:latest"),
  vmImage: z.string().min(1).default("ghcr.io/sendtwothreeyears/textslash-vm:latest"),
  relayMemoryMb: intFrom(256, 65536).default(256),
  vmMemoryMb: intFrom(256, 65536).default(2048),
  vmCpus: intFrom(1, 16).default(1),
  volumeSizeGb: intFrom(1, 500).default(3),
  vmAutostop: z.enum(["stop", "suspend"], "must be stop or suspend").default("stop"),
  allowDataLoss: boolFrom.default(false),
  adoptExisting: boolFrom.default(false),
  flyApiUrl: z.union([z.literal(""), z.url("must be an http(s) URL")]).default(""),
  twilioAccountSid: z.string().min(1, "is required (textslash:twilioAccountSid)"),
  twilioWhatsappNumber: z.string().regex(e164, "must be an E.164 number like +14155238886"),
  twilioWebhookSid: z
    .union([z.literal(""), z.string().regex(/^(MG|XE)[0-9a-fA-F]{32}$/, "must be a Messaging Service SID (MG + 32 hex) or a WhatsApp sender SID (XE + 32 hex)")])
    .default(""),
  allowedPhoneNumbers: z
    .string()
    .min(1, "is required: comma-separated E.164 numbers")
    .refine((v) => v.split(",").every((n) => e164.test(n.trim())), "every entry must be an E.164 number"),
});

export const secretKeys = ["twilioAuthToken", "anthropicApiKey", "githubToken", "flyApiToken"] as const;
export type SecretKey = (typeof secretKeys)[number];
const requiredSecrets: SecretKey[] = ["twilioAuthToken", "anthropicApiKey"];

export type Settings = z.infer<typeof settingsSchema> & { prefix: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration (${problems.length} problem(s)):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Pure: validates raw config strings (undefined = unset) and the presence of secrets. Throws one
 * ConfigError listing every bad key, each named `textslash:<key>`, never echoing secret values.
 */
export function parseSettings(
  raw: Record<string, string | undefined>,
  secretsPresent: Partial<Record<SecretKey, boolean>>,
  stackName: string,
  plaintextSecrets: readonly SecretKey[] = [],
): Settings {
  const problems: string[] = [];
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`textslash:${issue.path.join(".")}: ${issue.message}`);
    }
  }
  for (const key of requiredSecrets) {
    if (!secretsPresent[key]) problems.push(`textslash:${key}: is required; set it with \`pulumi config set --secret textslash:${key}\``);
  }
  for (const key of plaintextSecrets) {
    problems.push(`textslash:${key}: is stored in plain text; set it again with \`pulumi config set --secret textslash:${key}\``);
  }
  let prefix = "";
  if (parsed.success) {
    try {
      prefix = parsed.data.prefix || prefixFromStackName(stackName);
      const bad = prefixProblem(prefix);
      if (bad) problems.push(`textslash:prefix: "${prefix}" is invalid: ${bad}`);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return { ...parsed.data, prefix };
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
    const value = config.getSecret(key);
    present[key] = value !== undefined;
    secrets[key] = value ?? pulumi.secret("");
  }
  // getSecret hides presence of an empty string behind an Output; the defaults are "", so an
  // unset secret reads as "" only for optional keys. Required ones are checked by presence here.
  const plaintext = secretKeys.filter((key) => storedInPlainText(`textslash:${key}`));
  return { settings: parseSettings(raw, present, pulumi.getStack(), plaintext), secrets };
}

/**
 * True when a non-empty value was set without --secret. Pulumi.yaml cannot mark the optional
 * secrets `secret: true` (see the comment there), so the program enforces it. The SDK's own check
 * (it backs Config.get's "use getSecret" warning) is missing from its typings, hence the cast;
 * if a future SDK drops it, the check is skipped rather than failing every deployment.
 */
function storedInPlainText(fullKey: string): boolean {
  const isConfigSecret = (runtimeConfig as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  const value = pulumi.runtime.getConfig(fullKey);
  return Boolean(value) && isConfigSecret !== undefined && !isConfigSecret(fullKey);
}
