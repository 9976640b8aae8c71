// The declared fleet (fleet.yaml) and its secrets file, as zod schemas. Pure: no Pulumi, no I/O.
// Shared settings sit in one place; each user may override region, tier, volume size and the
// Twilio sender. Values are checked with the same rules the program's config.ts applies, so a bad
// value fails here, naming the file, the user and the key, before any stack is touched.
import { z } from "zod";
import { settingsSchema } from "../config";
import { prefixProblem } from "../components/naming";

const e164 = /^\+[1-9][0-9]{6,14}$/;
const shape = settingsSchema.shape;

/** A fleet user's tier: how the VM sleeps. */
export const TIERS = ["webhook", "always-on"] as const;
export type Tier = (typeof TIERS)[number];

/** webhook: suspended when idle (Fly resumes it in hundreds of ms); always-on: never put to sleep. */
export const TIER_AUTOSTOP: Record<Tier, "suspend" | "off"> = { webhook: "suspend", "always-on": "off" };

const tier = z.enum(TIERS, { error: (iss) => `${JSON.stringify(iss.input)} is not a tier; the tiers are ${TIERS.join(", ")}` });
const number = z.string({ error: (iss) => `${JSON.stringify(iss.input)} is not a number in E.164 form as a quoted string, e.g. "+15551234567"` }).regex(e164, { error: (iss) => `${JSON.stringify(iss.input)} is not a number in E.164 form, e.g. +15551234567` });
/** Config strings checked by config.ts's own schema for that key (numbers given as YAML numbers are fine too). */
const asConfig = <K extends keyof typeof shape>(key: K) =>
  z.union([z.string(), z.number()], { error: (iss) => (iss.input === undefined ? "is required" : `${JSON.stringify(iss.input)} is not a string`) }).transform(String).pipe(z.string().check((ctx) => {
    const parsed = shape[key].safeParse(ctx.value);
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.issues.push({ code: "custom", input: ctx.value, message: issue.message });
  }));

/** Settings every user shares unless their entry says otherwise. */
export const sharedSchema = z.strictObject({
  org: asConfig("org").default("personal"),
  region: asConfig("region").default("ord"),
  tier: tier.default("webhook"),
  /** Published images (tags or digests); every user runs them. `fleet rollout` moves users to them. */
  relayImage: asConfig("relayImage").refine((v) => v !== "", "is required: the fleet runs published images, e.g. ghcr.io/<you>/textslash-relay:1.0.0"),
  vmImage: asConfig("vmImage").refine((v) => v !== "", "is required: the fleet runs published images, e.g. ghcr.io/<you>/textslash-vm:1.0.0"),
  imageRegistry: asConfig("imageRegistry").default("registry.fly.io"),
  volumeSizeGb: asConfig("volumeSizeGb").default("3"),
  vmMemoryMb: asConfig("vmMemoryMb").optional(),
  twilioAccountSid: asConfig("twilioAccountSid"),
  twilioWhatsappNumber: asConfig("twilioWhatsappNumber"),
  /** The Fly Machines API (FLY_API_URL overrides it, as for a single stack). */
  flyApiUrl: asConfig("flyApiUrl").optional(),
});

export const userSchema = z.strictObject({
  /** Lower-case letters, digits and '-': it names the user's stack and Fly apps. */
  id: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a user id: lower-case letters, digits and '-', not starting or ending with '-'` }),
  allowedNumbers: z.array(number).min(1, "needs at least one number: the WhatsApp numbers this user writes from"),
  region: asConfig("region").optional(),
  tier: tier.optional(),
  volumeSizeGb: asConfig("volumeSizeGb").optional(),
  twilioWhatsappNumber: asConfig("twilioWhatsappNumber").optional(),
  /** Consent to lose this user's /data: `fleet remove` and a volume replacement need it. */
  allowDataLoss: z.boolean().default(false),
});

export const fleetSchema = z
  .strictObject({
    /** The fleet's name: stacks are `<fleet>-<user>`, apps `<fleet>-<user>-relay` and `-vm`. */
    fleet: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a fleet name: lower-case letters, digits and '-'` }),
    shared: sharedSchema,
    users: z.array(userSchema).default([]),
  })
  .check((ctx) => {
    const seen = new Set<string>();
    ctx.value.users.forEach((u, i) => {
      if (seen.has(u.id)) ctx.issues.push({ code: "custom", input: u.id, path: ["users", i, "id"], message: `"${u.id}" is declared twice; user ids must be unique` });
      seen.add(u.id);
      const problem = prefixProblem(stackNameOf(ctx.value.fleet, u.id));
      if (problem) ctx.issues.push({ code: "custom", input: u.id, path: ["users", i, "id"], message: `makes the app prefix "${stackNameOf(ctx.value.fleet, u.id)}", which must be ${problem}: shorten the fleet name or the id` });
    });
  });

export type FleetFile = z.infer<typeof fleetSchema>;
export type FleetUser = z.infer<typeof userSchema>;

/** One user's stack: also the prefix of their Fly apps (naming.ts checks it). */
export function stackNameOf(fleet: string, userId: string): string {
  return `${fleet}-${userId}`;
}

const secret = z.string().min(1, "is empty");
const secretSet = z.strictObject({
  twilioAuthToken: secret.optional(),
  anthropicApiKey: secret.optional(),
  githubToken: secret.optional(),
  flyApiToken: secret.optional(),
});
export type SecretSet = z.infer<typeof secretSet>;

/**
 * Secrets live outside the fleet file (and outside git): `shared` for every user, `users.<id>` per
 * user (a user's own value wins). They are set as Pulumi secrets, encrypted in each stack's config.
 */
export const secretsFileSchema = z.strictObject({
  shared: secretSet.default({}),
  users: z.record(z.string(), secretSet).default({}),
});
export type SecretsFile = z.infer<typeof secretsFileSchema>;
