// npm run sandbox:send -- "hello" — plays the WhatsApp user: signs a webhook exactly as Twilio
// does (Twilio's own library, through the fake Twilio's signer), posts it to the relay's public
// route on the sandbox proxy, then waits for the reply the relay sends to the fake Twilio.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { SANDBOX_PHONE } from "../sandbox/daemon/fake-values";
import { sendSandboxMessage } from "../sandbox/daemon/sandbox-stack";
import { readDaemonInfo, sandboxPaths } from "../sandbox/daemon/state";

const messagesSchema = z.array(z.object({ to: z.string(), body: z.string() }));

async function recorded(twilioUrl: string): Promise<z.infer<typeof messagesSchema>> {
  const res = await fetch(`${twilioUrl}/_fake/messages`);
  return messagesSchema.parse(await res.json());
}

async function main(): Promise<void> {
  const text = process.argv.slice(2).join(" ").trim();
  if (!text) throw new Error('say what to send: npm run sandbox:send -- "hello"');
  const daemon = readDaemonInfo(sandboxPaths());
  if (!daemon) throw new Error("the sandbox is not running; start it with npm run sandbox:up");
  const relayApp = process.env.SANDBOX_RELAY_APP ?? "sandbox-relay";
  const before = (await recorded(daemon.twilioUrl)).length;
  const response = await sendSandboxMessage({ proxyUrl: daemon.proxyUrl, relayApp, body: text, messageSid: `SMfake${randomBytes(12).toString("hex")}` });
  console.log(`relay answered the webhook: HTTP ${response.status}`);
  if (response.status !== 200) throw new Error(`the relay refused the webhook (${response.body.trim() || "no body"}); is the stack up (npm run sandbox:up)?`);
  console.log("waiting for the reply (the VM may be waking up)…");
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const messages = await recorded(daemon.twilioUrl);
    const replies = messages.slice(before).filter((m) => m.to === `whatsapp:${SANDBOX_PHONE}`);
    if (replies.length > 0) {
      for (const reply of replies) console.log(`reply: ${reply.body}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no reply reached the fake Twilio within 90 s; see .sandbox/daemon.log and .sandbox/logs/`);
}

main().catch((error: unknown) => {
  console.error(`sandbox:send failed: ${(error as Error).message}`);
  process.exit(1);
});
