// What changing each config key does to a running deployment: applied live (no machine restarts),
// rolls a machine (Fly restarts it with the new config), or replaces objects. Pure; the README's
// table is generated from it (scripts/gen-config-effects.ts) and a test keeps every key of
// Pulumi.yaml classified. Why so few keys are live: on Fly a running process sees a new secret or
// env value only when its machine is updated or started ("fly secrets set ... involves a restart of
// the Machine"; a staged secret is "available only on Machines that are started or updated after":
// Fly docs, apps/secrets). What needs no restart is what no machine reads.

export type ConfigEffect = "live" | "rolls the relay" | "rolls the VM" | "rolls both" | "replaces";

export interface ConfigEffectRule {
  effect: ConfigEffect;
  why: string;
}

const ROLL_RELAY = "the relay reads it at start (a Fly secret or its machine config); its machine restarts in seconds and acknowledged messages wait in its outbox on the volume";
const VM_AWAKE_OR_ASLEEP =
  "an awake VM restarts (a task running then is stopped and runs again from its inbox), a sleeping VM is updated asleep and uses it at its next wake";
const ROLL_VM = `the VM reads it at start; ${VM_AWAKE_OR_ASLEEP}`;

export const CONFIG_EFFECTS: Record<string, ConfigEffectRule> = {
  prefix: { effect: "replaces", why: "app names are DNS names: new apps, machines and volumes (refused for /data without allowDataLoss)" },
  org: { effect: "replaces", why: "an app cannot move organizations: new apps (refused for /data without allowDataLoss)" },
  region: { effect: "replaces", why: "machines and volumes live in one region: new ones (refused for /data without allowDataLoss)" },
  relayImage: {
    effect: "rolls the relay",
    why: "a new image is a new root filesystem (the machine runs it by digest: a published one is looked up on every up, empty builds services/relay)",
  },
  vmImage: {
    effect: "rolls the VM",
    why: `a new image is a new root filesystem (run by digest, as relayImage); ${VM_AWAKE_OR_ASLEEP}`,
  },
  vmBrowser: { effect: "rolls the VM", why: `a build argument of services/vm: a new image when the VM is built from this checkout (none with a published vmImage); ${VM_AWAKE_OR_ASLEEP}` },
  imageRegistry: {
    effect: "rolls both",
    why: "images built from this checkout are pushed to {registry}/{app} and each machine runs them from there: a new address is a new image reference (none for a service whose image is a published one)",
  },
  tokenRotation: {
    effect: "rolls both",
    why: "a new value replaces the generated relay↔VM token (random.RandomPassword keepers), a secret of both apps: each machine restarts once",
  },
  relayMemoryMb: { effect: "rolls the relay", why: "a machine's size changes only by an update, which restarts it" },
  vmMemoryMb: { effect: "rolls the VM", why: `a machine's size changes only by an update; ${VM_AWAKE_OR_ASLEEP}` },
  vmCpus: { effect: "rolls the VM", why: `a machine's size changes only by an update; ${VM_AWAKE_OR_ASLEEP}` },
  volumeSizeGb: {
    effect: "live",
    why: "the volume is extended in place; only if Fly answers that the filesystem needs a restart (needs_restart) does the VM restart for it",
  },
  vmAutostop: { effect: "rolls the VM", why: `Fly Proxy reads it from the machine's service config; ${VM_AWAKE_OR_ASLEEP}` },
  allowDataLoss: { effect: "live", why: "read only by the program and the data-loss guard; no Fly call" },
  snapshotRetentionDays: { effect: "live", why: "set on the volume through Fly's API (applies to new snapshots); no machine reads it" },
  restoreFromSnapshot: {
    effect: "replaces",
    why: "a volume is filled from a snapshot only when it is created: a new /data volume and VM machine (refused without allowDataLoss; the current volume is snapshotted first). Clearing it changes nothing",
  },
  keepBackupOnDestroy: { effect: "live", why: "only decides what a destroy deletes" },
  adoptExisting: { effect: "live", why: "used only when an object is created; no Fly call afterwards" },
  flyApiUrl: { effect: "live", why: "where the providers call Fly; no machine reads it" },
  flyApiToken: { effect: "live", why: "how the providers call Fly and log in to registry.fly.io; no machine reads it, and a new registry password alone rebuilds no image" },
  twilioAccountSid: { effect: "rolls the relay", why: ROLL_RELAY },
  twilioAuthToken: { effect: "rolls the relay", why: ROLL_RELAY },
  twilioWhatsappNumber: { effect: "rolls the relay", why: ROLL_RELAY },
  twilioWebhookSid: { effect: "live", why: "set through Twilio's API; no machine reads it" },
  allowedPhoneNumbers: {
    effect: "rolls the relay",
    why: `${ROLL_RELAY}. Not made live: Fly documents no way for a running machine to read a changed value (machine metadata can be set through the API, but reading it from inside a machine is not documented, and it is not secret)`,
  },
  anthropicApiKey: { effect: "rolls the VM", why: ROLL_VM },
  githubToken: { effect: "rolls the VM", why: ROLL_VM },
};

/** The keys (without `textslash:`) that no rule covers, and rules for keys that do not exist. */
export function unclassified(declaredKeys: readonly string[]): { missing: string[]; extra: string[] } {
  const keys = new Set(declaredKeys);
  return {
    missing: declaredKeys.filter((k) => !(k in CONFIG_EFFECTS)),
    extra: Object.keys(CONFIG_EFFECTS).filter((k) => !keys.has(k)),
  };
}

export function configEffectsTable(): string {
  const rows = Object.entries(CONFIG_EFFECTS).map(([key, rule]) => `| \`textslash:${key}\` | ${rule.effect} | ${rule.why.replace(/\|/g, "\\|")} |`);
  return ["| Key | On change | Why |", "|---|---|---|", ...rows].join("\n");
}
