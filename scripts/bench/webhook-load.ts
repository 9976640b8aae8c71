// Load benchmark for the relay's webhook (not a test): starts the relay with a fake VM and the fake
// Twilio on loopback, fires signed webhooks with bounded concurrency, prints latency percentiles
// and throughput, then how long the outbox took to drain into the VM.
// Run: npx tsx scripts/bench/webhook-load.ts [messages=2000] [concurrency=32]
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRelayEnv } from "../../services/relay/src/env";
import { buildApp } from "../../services/relay/src/app";
import { FakeTwilio, inboundParams, sendSignedWebhook } from "../../sandbox/fakes/fake-twilio";

const total = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 32);
const authToken = "fake-twilio-auth-token";
const user = "whatsapp:+15550001111";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "textslash-bench-"));
  const twilio = new FakeTwilio({ accountSid: "ACfake", authToken });
  await twilio.start();
  let delivered = 0;
  const vm = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      delivered++;
      res.writeHead(202).end('{"accepted":true}');
    });
  });
  await new Promise<void>((r) => vm.listen(0, "127.0.0.1", r));
  const env = parseRelayEnv({
    PORT: "0",
    HOST: "127.0.0.1",
    PUBLIC_URL: "https://fake-relay.example",
    CLAUDE_HOST: `http://127.0.0.1:${(vm.address() as AddressInfo).port}`,
    TWILIO_ACCOUNT_SID: "ACfake",
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_WHATSAPP_NUMBER: "+14155238886",
    ALLOWED_PHONE_NUMBERS: user,
    RELAY_SHARED_TOKEN: "fake-shared-token-0123456789",
    TWILIO_API_URL: twilio.url,
    RELAY_DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
  });
  const relay = await buildApp(env);
  const relayUrl = await relay.app.listen({ port: 0, host: "127.0.0.1" });

  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const n = next++;
        const params = inboundParams({ from: user, to: "whatsapp:+14155238886", body: `load ${n}`, accountSid: "ACfake" });
        const t0 = performance.now();
        const answer = await sendSignedWebhook({ relayUrl, publicUrl: env.PUBLIC_URL, authToken, params });
        latencies.push(performance.now() - t0);
        if (answer.status !== 200) failures++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await relay.delivery.idle();
  const drained = (performance.now() - started) / 1000;

  latencies.sort((a, b) => a - b);
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  console.log(`webhooks: ${total} at concurrency ${concurrency}, ${failures} non-200`);
  console.log(`latency p50 ${ms(percentile(latencies, 50))}  p90 ${ms(percentile(latencies, 90))}  p99 ${ms(percentile(latencies, 99))}  max ${ms(latencies.at(-1) ?? NaN)}`);
  console.log(`throughput: ${(total / elapsed).toFixed(0)} webhooks/s (${elapsed.toFixed(2)} s)`);
  console.log(`outbox drained to the VM: ${delivered} delivered ${drained.toFixed(2)} s after the first webhook`);

  await relay.app.close();
  await twilio.stop();
  vm.close();
  await rm(dataDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
