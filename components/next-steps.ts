// The steps left to do by hand after `pulumi up`, in one place: the `nextSteps` stack output and the
// README's "Point Twilio at the relay" say exactly these (tests/docs/next-steps.test.ts).
// Two cases, one story. Without textslash:twilioWebhookSid: the Twilio Sandbox for WhatsApp
// (https://www.twilio.com/docs/whatsapp/sandbox: no WhatsApp Business Account or registered sender,
// the shared number +14155238886, each phone joins by sending "join <code>", a session lasts 3
// days), whose webhook is set by hand. With it: a registered WhatsApp sender (XE…) or Messaging
// Service (MG…), whose webhook `up` sets (components/twilio/webhook.ts).

export interface NextStepsInput {
  webhookUrl: string;
  whatsappNumber: string;
  /** The sender or service whose webhook this stack sets, when there is one. */
  webhookSid?: string | undefined;
}

export function nextSteps({ webhookUrl, whatsappNumber, webhookSid }: NextStepsInput): string[] {
  const talk =
    `Text the agent at ${whatsappNumber} from a phone in textslash:allowedPhoneNumbers: each message is a task for Claude Code ` +
    `on your VM, and the answer comes back on WhatsApp. "/new" starts a new conversation ("/new <text>" starts one with that ` +
    `task); "/cancel" stops the running task and drops the waiting ones.`;
  if (webhookSid) {
    return [
      `Nothing to set by hand: the incoming-message webhook of ${webhookSid} is ${webhookUrl} (POST), set by this stack; destroy puts back what it had before.`,
      talk,
    ];
  }
  return [
    `In the Twilio Console, open Messaging > Try it out > Send a WhatsApp message > Sandbox settings, set "When a message comes in" to ${webhookUrl} with method POST, and save.`,
    `From each phone in textslash:allowedPhoneNumbers, send "join <your sandbox code>" on WhatsApp to ${whatsappNumber} (the code is on the same Twilio page; a sandbox session lasts 3 days, then send it again).`,
    talk,
  ];
}

/** The steps as one line of text, for the stack output. */
export function nextStepsText(input: NextStepsInput): string {
  return nextSteps(input).map((step, i) => `${i + 1}) ${step}`).join(" ");
}
