// TwiML answers to Twilio's webhook: empty (nothing to say) or one <Message> back to the sender,
// which Twilio delivers as a reply (https://www.twilio.com/docs/messaging/twiml/message). A reply in
// the webhook's own answer is the one channel that works even when the relay's disk does not.
import MessagingResponse from "twilio/lib/twiml/MessagingResponse";

export const emptyTwiml = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export function replyTwiml(text: string): string {
  const response = new MessagingResponse();
  response.message(text);
  return response.toString();
}

/** What the sender reads when the relay did not keep their message, by reason. */
export const notices = {
  notSaved: "Your message could not be saved (the relay could not write it to its disk), so the agent will not see it. Please send it again in a few minutes.",
  busy: "The relay is too busy to take your message right now; it was not saved. Please send it again in a few minutes.",
  senderQueueFull: (limit: number) =>
    `You already have ${limit} messages waiting for the agent; this one was not queued. Wait for the answers, or send /cancel to drop the waiting ones.`,
  senderRate: (burst: number, perHour: number) =>
    `You are sending messages faster than the relay takes them (${burst} at once, then ${perHour} an hour); this one was not queued. Send it again later, or send /cancel to drop waiting work.`,
  cancelFailed: "Your /cancel could not be carried out (the relay could not write to its disk). Please send /cancel again in a few minutes.",
};
