// Open-loop webhook generator, run as its own process by the relay benchmarks: request k is due at
// start + k/rate whatever happened to the earlier ones (Twilio does not wait for your answers),
// and its latency is timed from that intended time, so a stalled relay shows as latency instead of
// slowing the generator down (no coordinated omission). Webhooks are signed before the clock starts.
// Run: node --import tsx generator.ts '<json options>' <results.json>
import { Agent, request } from "node:http";
import { writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { inboundParams } from "../../../sandbox/fakes/twilio-webhooks";
import twilio from "twilio";

export interface GeneratorOptions {
  url: string;
  publicUrl: string;
  authToken: string;
  accountSid: string;
  to: string;
  senders: string[];
  rate: number;
  seconds: number;
  /** Text length of each message (a typical WhatsApp instruction is a few hundred characters). */
  bodyChars: number;
  timeoutMs: number;
}

export type Outcome = "acked" | "told" | "error";

export interface GeneratorResult {
  sid: string;
  /** ms after the run's start that the request was due. */
  dueMs: number;
  /** ms from when it was due to when its answer (or error) came. */
  latencyMs: number;
  /** ms the generator itself sent it after it was due (its own lag: a starved generator shows here, not as the relay's). */
  sendLagMs: number;
  status: number;
  outcome: Outcome;
}

const emptyTwiml = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as GeneratorOptions;
  const out = process.argv[3] ?? "results.json";
  const total = Math.round(options.rate * options.seconds);
  const tag = randomBytes(4).toString("hex");
  const path = new URL("/webhook", options.url);
  const prepared = Array.from({ length: total }, (_, k) => {
    const messageSid = `SM${tag}${String(k).padStart(24, "0")}`;
    const text = `load ${k} ${"x".repeat(Math.max(0, options.bodyChars - 12))}`;
    const params = inboundParams({ from: options.senders[k % options.senders.length] ?? "", to: options.to, body: text, accountSid: options.accountSid, messageSid });
    const body = new URLSearchParams(params).toString();
    const signature = twilio.getExpectedTwilioSignature(options.authToken, `${options.publicUrl}/webhook`, params);
    return { messageSid, body, signature };
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 4096 });
  const results: GeneratorResult[] = new Array(total);
  let done = 0;
  const start = performance.now();
  const fire = (k: number) => {
    const item = prepared[k];
    if (!item) return;
    const due = (k * 1000) / options.rate;
    const sendLagMs = performance.now() - start - due;
    const finish = (status: number, outcome: Outcome) => {
      if (results[k]) return;
      results[k] = { sid: item.messageSid, dueMs: due, latencyMs: performance.now() - start - due, sendLagMs, status, outcome };
      done++;
    };
    const req = request(
      { host: path.hostname, port: path.port, path: path.pathname, method: "POST", agent, headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(item.body), "x-twilio-signature": item.signature, "user-agent": "TwilioProxy/1.1" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => finish(res.statusCode ?? 0, res.statusCode === 200 ? (text === emptyTwiml ? "acked" : text.includes("<Message>") ? "told" : "error") : "error"));
        res.on("error", () => finish(res.statusCode ?? 0, "error"));
      },
    );
    req.setTimeout(options.timeoutMs, () => req.destroy(new Error("timeout")));
    req.on("error", () => finish(0, "error"));
    req.end(item.body);
  };
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * options.rate) / 1000) + 1);
    while (sent < due) fire(sent++);
    await sleep(1);
  }
  while (done < total) await sleep(20);
  agent.destroy();
  writeFileSync(out, JSON.stringify(results));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
