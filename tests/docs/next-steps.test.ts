// The README's Twilio steps are the `nextSteps` output, word for word (with the stack's values as
// placeholders), in both cases: the Twilio Sandbox for WhatsApp, and a sender whose webhook the
// stack sets. One story, told in one place (components/next-steps.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nextSteps, nextStepsText } from "../../components/next-steps";

const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");

function readmeSteps(name: string): string[] {
  const begin = readme.indexOf(`<!-- BEGIN NEXT STEPS ${name}`);
  const end = readme.indexOf(`<!-- END NEXT STEPS ${name} -->`);
  expect(begin, `README.md has the NEXT STEPS ${name} markers`).toBeGreaterThan(0);
  return readme.slice(readme.indexOf("\n", begin) + 1, end).trim().split("\n").map((line) => line.replace(/^\d+\. /, ""));
}

const placeholders = { webhookUrl: "`webhookUrl`", whatsappNumber: "`twilioWhatsappNumber`" };

describe("nextSteps and the README", () => {
  it("tell the Twilio Sandbox for WhatsApp steps alike", () => {
    expect(readmeSteps("sandbox")).toEqual(nextSteps(placeholders));
  });

  it("tell the registered-sender steps alike", () => {
    expect(readmeSteps("sender")).toEqual(nextSteps({ ...placeholders, webhookSid: "`twilioWebhookSid`" }));
  });

  it("numbers the steps in the one-line output", () => {
    const text = nextStepsText({ webhookUrl: "https://me-relay.fly.dev/webhook", whatsappNumber: "+14155238886" });
    expect(text).toMatch(/^1\) In the Twilio Console, .* set "When a message comes in" to https:\/\/me-relay\.fly\.dev\/webhook with method POST.* 2\) From each phone .* "join <your sandbox code>" on WhatsApp to \+14155238886 .* 3\) Text the agent .*"\/new" starts a new conversation/);
  });
});
