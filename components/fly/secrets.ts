// An app's secrets. Values come in as secret inputs (ciphertext in state); outputs hold only
// HMAC-SHA256 digests keyed by a random per-resource salt, plus Fly's secrets version, which the
// app's machine takes as min_secrets_version so a secret change rolls that app's machine only.
import type * as pulumi from "@pulumi/pulumi";
import { createHmac, randomBytes } from "node:crypto";
import { z } from "zod";
import { PROVIDER_VERSION } from "./provider-versions";
import { checkWith } from "./check";
import { flyConnection, ignoreNotFound, isUnknown } from "./connection";
import { isFlyNotFound, type FlySecretInfo } from "./client";

const inputsSchema = z.object({
  appName: z.string().min(1),
  values: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, "secret names are UPPER_SNAKE"), z.string()),
  adopt: z.boolean().default(false),
  providerVersion: z.number(),
});
type SecretsInputs = z.infer<typeof inputsSchema>;
interface SecretsOutputs {
  appName: string;
  salt: string;
  digests: Record<string, string>;
  /** Fly's own digest of each secret as answered after our last set, salted again (Fly's may be a plain hash). */
  flyDigests?: Record<string, string>;
  version: number;
  providerVersion: number;
}

/** Marks a secret that changed outside Pulumi; never equal to a real digest, so diff sees a change. */
export const CHANGED_OUTSIDE = "changed-outside-pulumi";

/**
 * Pure: the stored digests adjusted for what Fly lists now, or undefined when nothing changed
 * outside Pulumi. A name we never set gets CHANGED_OUTSIDE (the next up unsets it), a name of
 * ours that is gone is dropped (the next up sets it again), and one whose Fly digest moved since
 * our last set gets CHANGED_OUTSIDE (the next up sets it again).
 */
export function secretsDrift(stored: SecretsOutputs, live: FlySecretInfo[]): Record<string, string> | undefined {
  const digests: Record<string, string> = {};
  let drift = false;
  for (const { name, digest } of live) {
    const ours = stored.digests[name];
    const recorded = stored.flyDigests?.[name];
    const moved = recorded !== undefined && digest !== undefined && recorded !== saltedFlyDigest(stored.salt, digest);
    if (ours === undefined || moved) drift = true;
    digests[name] = ours === undefined || moved ? CHANGED_OUTSIDE : ours;
  }
  if (Object.keys(stored.digests).some((name) => !(name in digests))) drift = true;
  return drift ? digests : undefined;
}

const saltedFlyDigest = (salt: string, digest: string) => createHmac("sha256", salt).update(`fly\0${digest}`).digest("hex");

export function digestsOf(salt: string, values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values).sort(([a], [b]) => a.localeCompare(b))) {
    out[k] = createHmac("sha256", salt).update(`${k}\0${v}`).digest("hex");
  }
  return out;
}

const conn = flyConnection();
async function apply(appName: string, values: Record<string, string>, previous: string[], salt: string): Promise<SecretsOutputs> {
  const update: Record<string, string | null> = { ...values };
  for (const k of previous) if (!(k in values)) update[k] = null;
  const result = await conn.client().secrets.update(appName, update);
  const flyDigests: Record<string, string> = {};
  for (const { name, digest } of result.secrets) if (digest !== undefined) flyDigests[name] = saltedFlyDigest(salt, digest);
  return { appName, salt, digests: digestsOf(salt, values), flyDigests, version: result.version, providerVersion: PROVIDER_VERSION.secrets };
}

export const secretsProvider: pulumi.dynamic.ResourceProvider<SecretsInputs, SecretsOutputs> = {
  configure: conn.configure,
  check: async (_olds, news) => checkWith(inputsSchema, news),
  diff: async (_id, olds: SecretsOutputs & Partial<SecretsInputs>, news) => {
    if (olds.appName !== news.appName) return { changes: true, replaces: ["appName"], deleteBeforeReplace: true };
    if (isUnknown(news.values) || Object.values(news.values ?? {}).some(isUnknown)) return { changes: true };
    const same =
      olds.providerVersion === news.providerVersion &&
      JSON.stringify(digestsOf(olds.salt, news.values)) === JSON.stringify(olds.digests);
    return { changes: !same };
  },
  create: async (inputs) => {
    const salt = randomBytes(16).toString("hex");
    // Taking over an app: secrets the stack does not declare are unset, since they would compete
    // with the machine env of the same name (the setup script stored CLAUDE_HOST, PUBLIC_URL and
    // RELAY_CALLBACK_URL as secrets, the last with a wrong :3000 port). Names only are listed.
    const existing = inputs.adopt ? (await conn.client().secrets.list(inputs.appName)).map((s) => s.name) : [];
    return { id: inputs.appName, outs: await apply(inputs.appName, inputs.values, existing, salt) };
  },
  // Refresh: secrets set or unset with `fly secrets` since our last set show up as a change.
  read: async (id, props) => {
    if (!props) return { id };
    try {
      const digests = secretsDrift(props, await conn.client().secrets.list(props.appName));
      return { id, props: digests ? { ...props, digests } : props };
    } catch (err) {
      if (isFlyNotFound(err)) return {}; // the app is gone, and its secrets with it
      throw err;
    }
  },
  update: async (_id, olds, news) => ({ outs: await apply(news.appName, news.values, Object.keys(olds.digests), olds.salt) }),
  // Unset on delete: an app kept after a destroy (textslash:keepBackupOnDestroy, for its snapshots) must not keep
  // the keys. The app's machine depends on these secrets, so it is gone by now and nothing rolls. A gone app: done.
  delete: async (_id, props) => {
    const names = Object.keys(props.digests ?? {});
    if (names.length === 0) return;
    await ignoreNotFound(() => conn.client().secrets.update(props.appName, Object.fromEntries(names.map((k) => [k, null]))));
  },
};
