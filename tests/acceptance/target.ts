// Where the acceptance suite deploys: real Fly and Twilio, given credentials in the environment, or the
// local sandbox (tests/acceptance/sandbox-target.ts). The suite itself (suite.ts) is the same for both.
import twilio from "twilio";
import { FlyClient } from "../../components/fly/client";

export interface AcceptanceTarget {
  describe: string;
  /** Environment of the pulumi CLI (and so of the providers): FLY_API_TOKEN, FLY_API_URL, FLY_PROXY_URL. */
  cliEnv: Record<string, string>;
  /**
   * Run the random/command/docker plugins as this workplace's stand-ins (the sandbox, where plugins
   * cannot be downloaded) or let the CLI download the real ones, as for any user (real Fly).
   */
  standInPlugins: boolean;
  /** Stack config besides the prefix. */
  config: { plain: Record<string, string>; secret: Record<string, string> };
  twilio: { accountSid: string; authToken: string; number: string; phone: string };
  fly: FlyClient;
  listApps(): Promise<string[]>;
  /** `https://<app>.fly.dev/...` as this target reaches it from here. */
  publicUrl(url: string): string;
  /** Resolves once a message to `to`, created after `sentAfter`, is on the Messages API; throws saying why not. */
  waitForReply(query: { to: string; sentAfter: Date; prompt: string; timeoutMs: number }): Promise<void>;
  budgets: { replyMs: number; sleepMs: number };
  close(): Promise<void>;
}

/** What a real run needs; each is a repository secret of the acceptance workflow. */
export const REQUIRED_ENV = [
  "FLY_API_TOKEN",
  "FLY_ORG",
  "TWILIO_ACCOUNT_SID",
  "TWILIO_AUTH_TOKEN",
  "TWILIO_WHATSAPP_NUMBER",
  "ACCEPTANCE_PHONE",
  "ANTHROPIC_API_KEY",
] as const;

/** The names of required variables that are missing (never their values). */
export function missingEnv(env: Record<string, string | undefined>): string[] {
  return REQUIRED_ENV.filter((name) => (env[name] ?? "").trim() === "");
}

/**
 * Replies as Twilio's Messages API lists them (twilio-node `messages.list`). Test credentials can only create
 * messages, not read them (Twilio answers 403: twilio.com/docs/iam/test-credentials), so this names that case.
 */
async function waitForTwilioReply(client: twilio.Twilio, query: { to: string; sentAfter: Date; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + query.timeoutMs;
  for (;;) {
    let found = false;
    try {
      const messages = await client.messages.list({ to: query.to, dateSentAfter: query.sentAfter, limit: 20 });
      found = messages.some((m) => m.direction.startsWith("outbound") && m.dateCreated.getTime() >= query.sentAfter.getTime());
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 403 || status === 401) {
        throw new Error(
          `Twilio refused to list Messages (${status}). Test credentials can only create messages, never read them ` +
            "(twilio.com/docs/iam/test-credentials), so the reply cannot be seen: give TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN of a live account or subaccount",
        );
      }
      throw err;
    }
    if (found) return;
    if (Date.now() > deadline) throw new Error(`no message to ${query.to} on Twilio's Messages API within ${Math.round(query.timeoutMs / 1000)}s`);
    await new Promise((r) => setTimeout(r, 10_000));
  }
}

/** Real Fly and Twilio, from the environment (call missingEnv first). */
export function flyTarget(env: Record<string, string | undefined>): AcceptanceTarget {
  const need = (name: (typeof REQUIRED_ENV)[number]): string => env[name]?.trim() ?? "";
  const org = need("FLY_ORG");
  const fly = new FlyClient({ token: need("FLY_API_TOKEN"), env: {} });
  const client = twilio(need("TWILIO_ACCOUNT_SID"), need("TWILIO_AUTH_TOKEN"));
  const images: Record<string, string> = {
    ...(env.ACCEPTANCE_RELAY_IMAGE ? { "textslash:relayImage": env.ACCEPTANCE_RELAY_IMAGE } : {}),
    ...(env.ACCEPTANCE_VM_IMAGE ? { "textslash:vmImage": env.ACCEPTANCE_VM_IMAGE } : {}),
  };
  return {
    describe: `real Fly (organization ${org}) and Twilio`,
    // The real plugins, downloaded on first use as a user's CLI does (the harness turns that off).
    standInPlugins: false,
    cliEnv: { FLY_API_TOKEN: need("FLY_API_TOKEN"), PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "false" },
    config: {
      plain: {
        "textslash:org": org,
        "textslash:region": env.FLY_REGION || "ord",
        "textslash:twilioAccountSid": need("TWILIO_ACCOUNT_SID"),
        "textslash:twilioWhatsappNumber": need("TWILIO_WHATSAPP_NUMBER"),
        "textslash:allowedPhoneNumbers": need("ACCEPTANCE_PHONE"),
        ...images,
      },
      secret: { "textslash:twilioAuthToken": need("TWILIO_AUTH_TOKEN"), "textslash:anthropicApiKey": need("ANTHROPIC_API_KEY") },
    },
    twilio: { accountSid: need("TWILIO_ACCOUNT_SID"), authToken: need("TWILIO_AUTH_TOKEN"), number: need("TWILIO_WHATSAPP_NUMBER"), phone: need("ACCEPTANCE_PHONE") },
    fly,
    listApps: async () => (await fly.apps.list(org)).map((a) => a.name),
    publicUrl: (url) => url,
    waitForReply: (query) => waitForTwilioReply(client, query),
    // A real Claude run, then Fly Proxy's autostop, which checks every few minutes.
    budgets: { replyMs: 10 * 60_000, sleepMs: 20 * 60_000 },
    close: () => Promise.resolve(),
  };
}
