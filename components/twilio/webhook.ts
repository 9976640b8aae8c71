// The Twilio webhook set for the user: a WhatsApp sender's or Messaging Service's incoming-message
// URL pointed at the relay. Create remembers what was there (URL and method, no secret) and sets
// ours; a new prefix updates it in place; delete puts back what was there, unless someone has set
// another URL since (then it is left alone). The auth token is read at call time from the stack
// config (configure), never an input or output, so it is never in state.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkWith } from "../fly/check";
import { diffByTable, inputFieldsOf, type DiffTable } from "../fly/diff";
import { isTwilioNotFound, TARGET_SID, targetKind, webhookApi, type WebhookApi, type WebhookSetting } from "./api";


const inputsSchema = z.object({
  accountSid: z.string().min(1),
  targetSid: z.string().regex(TARGET_SID, "must be a Messaging Service SID (MG + 32 hex) or a WhatsApp sender SID (XE + 32 hex)"),
  url: z.url({ protocol: /^https?$/ }),
  providerVersion: z.number(),
});
type WebhookInputs = z.infer<typeof inputsSchema>;

interface WebhookOutputs extends WebhookInputs {
  kind: string;
  /** What the target had before this stack set it, restored on delete. */
  previous: WebhookSetting;
  /** What Twilio says now (refresh notices a change made in the console). */
  current: string | null;
}

export const webhookDiffTable: DiffTable = {
  accountSid: { replace: true, why: "the target belongs to one Twilio account" },
  targetSid: { replace: true, why: "another sender or service: the old one gets its webhook back, the new one gets ours" },
  url: { replace: false, why: "the webhook URL is updated in place" },
  current: { replace: false, why: "changed in the Twilio console: set ours again" },
};

/** Pure: the diff of the stored outputs against new inputs. `current` drifting from `url` is a change. */
export function diffWebhook(olds: Partial<WebhookOutputs>, news: WebhookInputs): { changes: boolean; replaces: string[] } {
  const o = inputFieldsOf(olds as Record<string, unknown>, [...Object.keys(inputsSchema.shape), "current"]);
  const n: Record<string, unknown> = { ...news, current: "current" in o ? news.url : undefined };
  const d = diffByTable(webhookDiffTable, o, n);
  return { changes: d.changes, replaces: d.replaces };
}

/** What delete puts back: the previous setting, except our own URL (an earlier, unrecorded run of ours). */
export function restoreSetting(outs: Pick<WebhookOutputs, "previous" | "url">): WebhookSetting {
  const ours = outs.previous.url === outs.url;
  return { ...outs.previous, url: ours ? null : outs.previous.url };
}

/** The token and an optional fake Twilio URL, read when the engine configures the provider. */
const connection: { authToken?: string | undefined; apiUrl?: string | undefined } = {};

export function apiFor(accountSid: string): WebhookApi {
  const authToken = connection.authToken || process.env.TWILIO_AUTH_TOKEN;
  if (!authToken) {
    throw new Error("No Twilio auth token to set the webhook with: set the stack secret textslash:twilioAuthToken (pulumi config set --secret textslash:twilioAuthToken).");
  }
  // TWILIO_API_URL points the library at a fake Twilio (tests, the local sandbox); unset on real Twilio.
  return webhookApi({ accountSid, authToken, apiUrl: connection.apiUrl || process.env.TWILIO_API_URL || undefined });
}

export const webhookProvider: pulumi.dynamic.ResourceProvider<WebhookInputs, WebhookOutputs> = {
  configure: async (req) => {
    connection.authToken = req.config.get("textslash:twilioAuthToken") || undefined;
  },
  check: async (_olds, news) => checkWith(inputsSchema, news),
  diff: async (_id, olds, news) => ({ ...diffWebhook(olds, news), deleteBeforeReplace: false }),
  create: async (inputs) => {
    const api = apiFor(inputs.accountSid);
    const previous = await api.get(inputs.targetSid);
    const kind = targetKind(inputs.targetSid);
    // A Messaging Service whose numbers keep their own webhooks would never call ours.
    const now = await api.set(inputs.targetSid, { url: inputs.url, method: "POST", ...(kind === "messaging-service" ? { useInboundWebhookOnNumber: false } : {}) });
    return { id: inputs.targetSid, outs: { ...inputs, kind, previous, current: now.url } };
  },
  read: async (id, props) => {
    if (!props) return { id, props };
    try {
      const now = await apiFor(props.accountSid).get(props.targetSid);
      return { id, props: { ...props, current: now.url } };
    } catch (err) {
      if (isTwilioNotFound(err)) return {}; // the sender or service is gone: drop it
      throw err;
    }
  },
  update: async (_id, olds, news) => {
    const kind = targetKind(news.targetSid);
    const now = await apiFor(news.accountSid).set(news.targetSid, {
      url: news.url,
      method: "POST",
      ...(kind === "messaging-service" ? { useInboundWebhookOnNumber: false } : {}),
    });
    return { outs: { ...news, kind, previous: olds.previous, current: now.url } };
  },
  delete: async (_id, props) => {
    const api = apiFor(props.accountSid);
    let now: WebhookSetting;
    try {
      now = await api.get(props.targetSid);
    } catch (err) {
      if (isTwilioNotFound(err)) return; // gone already
      throw err;
    }
    // Someone pointed it elsewhere since: that is theirs now, not ours to undo.
    if (now.url !== props.url) return;
    await api.set(props.targetSid, restoreSetting(props));
  },
};
