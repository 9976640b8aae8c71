// How config.ts words a problem: the value as the user typed it, the key they probably meant,
// and the exact `pulumi config` command that fixes each key. Pure, no Pulumi.

export interface ConfigProblem {
  /** `textslash:<key>` */
  key: string;
  /** What is wrong with the value, and what is allowed. */
  problem: string;
  /** The command that fixes it. */
  fix: string;
}

/** A value quoted for a message, cut short: config values are typed by hand and may be long. */
export function shown(value: unknown): string {
  const text = String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/**
 * The command that fixes `key`. Keys with a default are set to a value that works (the default,
 * or `suggested` when the value only needs rounding to what Fly offers); `pulumi config rm` would
 * restore the default too, but says less. Secrets are set with --secret and no value, so the CLI
 * prompts for it and it never lands in the shell's history.
 */
export function fixFor(key: string, suggested?: string): string {
  const set = (value: string) => `pulumi config set textslash:${key} ${value}`;
  switch (key) {
    case "prefix": return `${set(suggested ?? "yourname-textslash")} (Fly app names are global: pick one nobody else has)`;
    case "org": return `${set("personal")} (or your organization's slug from \`fly orgs list\`)`;
    case "region": return `${set("ord")} (or another region above)`;
    case "relayImage": return `pulumi config rm textslash:relayImage (up then builds services/relay), or ${set("ghcr.io/<you>/textslash-relay:<tag>")}`;
    case "vmImage": return `pulumi config rm textslash:vmImage (up then builds services/vm), or ${set("ghcr.io/<you>/textslash-vm:<tag>")}`;
    case "vmBrowser": return set("playwright");
    case "imageRegistry": return set("registry.fly.io");
    case "relayMemoryMb": return set(suggested ?? "256");
    case "vmMemoryMb": return set(suggested ?? "2048");
    case "vmCpus": return set("1");
    case "volumeSizeGb": return set("3");
    case "vmAutostop": return set("stop");
    case "allowDataLoss":
    case "adoptExisting": return set("false");
    case "flyApiUrl": return `pulumi config rm textslash:flyApiUrl (Fly's own API, https://api.machines.dev, is the default)`;
    case "twilioAccountSid": return set("AC<32 hex digits from the Twilio console>");
    case "twilioWhatsappNumber": return set("+14155238886");
    case "allowedPhoneNumbers": return set("+15551234567,+15557654321");
    case "twilioWebhookSid": return `${set("<MG… or XE… SID from the Twilio console>")} (or pulumi config rm textslash:twilioWebhookSid and set the webhook by hand)`;
    case "twilioAuthToken":
    case "anthropicApiKey":
    case "githubToken":
    case "flyApiToken": return `pulumi config set --secret textslash:${key}   (it asks for the value)`;
    default: return set("<value>");
  }
}

/** The known key a mistyped one most likely meant (edit distance at most 3, case ignored). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= 3 && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
