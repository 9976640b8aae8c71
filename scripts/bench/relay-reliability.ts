// Relay reliability benchmark (not a test): one run, four reports, against the compiled relay as a
// process of its own with production logging.
//   1. bad inputs: a corpus of forged, malformed, oversized and out-of-bounds requests; how many
//      were refused with the expected status, and whether the relay still answers afterwards;
//   2. floods: one allowed sender sending 300 messages at 100/s, six concurrent 39 MB unauthenticated
//      callbacks, twelve concurrent 1 MB webhook forms of 150,000 parameters: what was kept, and the
//      relay's peak memory and CPU;
//   3. replays: every message of a run sent again after a restart; how many ran twice;
//   4. kill -9 under load: 200 webhooks a second for 20 s, the relay SIGKILLed twice and restarted;
//      acknowledged messages that never reached the VM (must be 0).
// Run: npm run bench:relay-reliability
import { execSync } from "node:child_process";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import twilio from "twilio";
import { FakeTwilio } from "../../sandbox/fakes/fake-twilio";
import { inboundParams, sendSignedWebhook } from "../../sandbox/fakes/twilio-webhooks";
import { bench, buildRelay, relayEnv, senders, startRelayProcess, type RelayProcess } from "./relay-lib/relay-process";
import { startVmStub, type VmStub } from "./relay-lib/vm-stub";
import { lossAndDuplicates, runGenerator, summarise, table } from "./relay-lib/load";
import { freePort } from "./relay-lib/ports";

const allowed = senders(5);
const user = allowed[0] ?? "";
const dir = buildRelay();

interface Setup {
  relay: RelayProcess;
  vm: VmStub;
  twilio: FakeTwilio;
  dataDir: string;
  port: number;
  env: Record<string, string>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function setup(extra: Record<string, string> = {}): Promise<Setup> {
  const dataDir = await mkdtemp(join(tmpdir(), "textslash-bench-reliability-"));
  const vm = await startVmStub();
  const fake = new FakeTwilio({ accountSid: bench.accountSid, authToken: bench.authToken });
  await fake.start();
  const port = await freePort();
  const env = relayEnv({ dataDir, vmUrl: vm.url, twilioUrl: fake.url, allowed, extra });
  const state: Setup = {
    relay: await startRelayProcess({ dir, port, env }),
    vm,
    twilio: fake,
    dataDir,
    port,
    env,
    async restart() {
      state.relay = await startRelayProcess({ dir, port, env });
    },
    async close() {
      await state.relay.stop();
      await vm.close();
      await fake.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return state;
}

const signed = (s: Setup, params: Record<string, string>, extra: { signature?: string | null; publicUrl?: string } = {}) =>
  sendSignedWebhook({ relayUrl: s.relay.url, publicUrl: extra.publicUrl ?? bench.publicUrl, authToken: bench.authToken, params, ...(extra.signature !== undefined ? { signature: extra.signature } : {}) });
const message = (body: string, from = user) => inboundParams({ from, to: bench.whatsAppNumber, body, accountSid: bench.accountSid });
const post = (s: Setup, path: string, body: string, headers: Record<string, string>) =>
  fetch(`${s.relay.url}${path}`, { method: "POST", headers, body }).then(async (r) => ({ status: r.status, body: await r.text() }));
const json = { "content-type": "application/json" };
const auth = { ...json, authorization: `Bearer ${bench.sharedToken}` };

/**
 * Uploads `body` (or that many bytes of filler) in 64 KB chunks, stopping as soon as the relay
 * answers or closes the connection (fetch would fail with EPIPE); returns its status (0 if none)
 * and how many bytes got out before that.
 */
function upload(url: string, path: string, headers: Record<string, string>, body: number | Buffer): Promise<{ status: number; sent: number; reset: boolean }> {
  const total = typeof body === "number" ? body : body.length;
  const filler = Buffer.alloc(64 * 1024, 0x61);
  return new Promise((resolve) => {
    let sent = 0;
    let status = 0;
    let over = false;
    let reset = false;
    const finish = () => {
      if (over) return;
      over = true;
      req.destroy();
      resolve({ status, sent, reset });
    };
    const req = request(`${url}${path}`, { method: "POST", headers: { ...headers, "content-length": String(total) } }, (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      finish();
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      // The relay answered and closed while the body was still going out: its answer may be lost
      // in the reset, but it refused the body (it never read it).
      reset = err.code === "ECONNRESET" || err.code === "EPIPE";
      finish();
    });
    req.on("close", finish);
    const pump = () => {
      while (!over && sent < total) {
        const chunk = typeof body === "number" ? filler.subarray(0, Math.min(filler.length, total - sent)) : body.subarray(sent, sent + filler.length);
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!over) req.end();
    };
    pump();
    setTimeout(finish, 30_000).unref();
  });
}

/** Declares `declared` bytes, sends `sent`, returns the status (0 if the relay never answered in 20 s). */
function partial(url: string, path: string, headers: Record<string, string>, declared: number, sent: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method: "POST", headers: { ...headers, "content-length": String(declared) } }, (res) => {
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => undefined);
    req.write(Buffer.alloc(sent, 0x61));
    setTimeout(() => {
      req.destroy();
      resolve(0);
    }, 20_000).unref();
  });
}

async function badInputs(): Promise<string[][]> {
  const s = await setup();
  const cases: [string, number, () => Promise<{ status: number; body?: string }>][] = [
    ["webhook without signature", 403, () => signed(s, message("hi"), { signature: null })],
    ["webhook with a forged signature", 403, () => signed(s, message("hi"), { signature: "Zm9yZ2Vk" })],
    ["webhook signed for another URL", 403, () => signed(s, message("hi"), { publicUrl: "https://elsewhere.example" })],
    ["webhook with a body changed after signing", 403, async () => {
      const params = message("original");
      const signature = twilio.getExpectedTwilioSignature(bench.authToken, `${bench.publicUrl}/webhook`, params);
      return signed(s, { ...params, Body: "changed" }, { signature });
    }],
    ["webhook form over 64 KB", 413, () => signed(s, message("x".repeat(100_000)))],
    ["webhook form of 5,000 parameters", 400, () => post(s, "/webhook", Array.from({ length: 5000 }, (_, i) => `k${i}=v`).join("&"), { "content-type": "application/x-www-form-urlencoded" })],
    ["signed webhook without MessageSid", 400, () => signed(s, { ...message("hi"), MessageSid: "" })],
    ["signed webhook from an SMS number", 400, () => signed(s, { ...message("hi"), From: "sms:+15550001000" })],
    ["signed webhook with NumMedia but no MediaUrl0", 400, () => signed(s, { ...message("hi"), NumMedia: "1" })],
    ["signed webhook with NumMedia 11", 400, () => signed(s, { ...message("hi"), NumMedia: "11" })],
    ["callback without token", 401, () => post(s, "/callback", JSON.stringify({ to: user, text: "spam" }), json)],
    ["callback with a wrong token", 401, () => post(s, "/callback", JSON.stringify({ to: user, text: "spam" }), { ...json, authorization: "Bearer fake-wrong-token-0123456789" })],
    ["callback of 30 MB without token (answered mid-upload)", 401, async () => ({ status: await partial(s.relay.url, "/callback", json, 30 * 1024 * 1024, 64 * 1024) })],
    ["callback declaring 20 MB with the token", 413, async () => ({ status: await partial(s.relay.url, "/callback", auth, 20 * 1024 * 1024, 1024) })],
    ["callback to a number not allowed", 403, () => post(s, "/callback", JSON.stringify({ to: "whatsapp:+15559999999", text: "spam" }), auth)],
    ["callback that is not JSON", 400, () => post(s, "/callback", "{not json", auth)],
    ["callback with an unsupported image type", 400, () => post(s, "/callback", JSON.stringify({ to: user, images: [{ contentType: "text/html", dataBase64: "PGI+" }] }), auth)],
    ["callback with eleven images", 400, () => post(s, "/callback", JSON.stringify({ to: user, images: Array.from({ length: 11 }, () => ({ contentType: "image/png", dataBase64: "AA==" })) }), auth)],
    ["status callback without signature", 403, () => post(s, "/status", "MessageSid=SM1&MessageStatus=failed", { "content-type": "application/x-www-form-urlencoded" })],
    ["media id with a path in it", 404, () => fetch(`${s.relay.url}/media/..%2F..%2Fetc%2Fpasswd`).then((r) => ({ status: r.status }))],
  ];
  let refused = 0;
  const rows: string[][] = [];
  for (const [name, expected, run] of cases) {
    const answer = await run();
    const ok = answer.status === expected && !/\/tmp\/|ENOSPC|EACCES|at .*\.js/.test(answer.body ?? "");
    if (ok) refused++;
    rows.push([name, String(expected), String(answer.status), ok ? "yes" : "NO"]);
  }
  const stillUp = (await fetch(`${s.relay.url}/health`)).ok;
  const nothingForwarded = s.vm.received.size === 0 && s.twilio.messages.length === 0;
  await s.close();
  console.log(`\n1. bad inputs\n${table([["request", "expected", "got", "refused"], ...rows])}`);
  return [
    ["bad inputs refused as expected", `${refused}/${cases.length}`, `${cases.length}/${cases.length}`],
    ["relay answering after them; nothing reached the VM or Twilio", stillUp && nothingForwarded ? "yes" : "NO", "yes"],
  ];
}

async function floods(): Promise<string[][]> {
  // One allowed sender, default limits, the VM asleep (its tasks wait in the outbox).
  const s = await setup();
  s.vm.setStatus(503);
  const results = await runGenerator({ url: s.relay.url, publicUrl: bench.publicUrl, authToken: bench.authToken, accountSid: bench.accountSid, to: bench.whatsAppNumber, senders: [user], rate: 100, seconds: 3, bodyChars: 60_000, timeoutMs: 30_000 });
  const flood = summarise(results);
  const queued = await s.relay.outbox();
  const afterSender = s.relay.peakRssMb();

  // Six concurrent 39 MB callbacks without the token.
  const cpu0 = s.relay.cpuMs();
  const big = await Promise.all(Array.from({ length: 6 }, () => upload(s.relay.url, "/callback", json, 39 * 1024 * 1024)));
  const refusedEarly = big.filter((b) => b.status === 401 || b.sent < 39 * 1024 * 1024).length;
  const mostSent = Math.max(...big.map((b) => b.sent)) / 1024 / 1024;
  const afterCallbacks = s.relay.peakRssMb();

  // Twelve concurrent 1 MB forms of ~150,000 parameters (the review's CPU attack).
  const form = Array.from({ length: 150_000 }, (_, i) => `k${i}=${i % 10}`).join("&").slice(0, 1_000_000);
  const forms = await Promise.all(Array.from({ length: 12 }, () => upload(s.relay.url, "/webhook", { "content-type": "application/x-www-form-urlencoded" }, Buffer.from(form))));
  const cpuMs = s.relay.cpuMs() - cpu0;
  const rss = s.relay.peakRssMb();
  await s.close();
  return [
    ["flood: 300 messages of 60 KB from one sender in 3 s", `${flood.acked} kept, ${flood.told} told why, ${flood.errors} failed`, "≤ 20 kept (queue limit), every other one told"],
    ["  outbox after the flood", `${queued} messages`, "≤ 20"],
    ["  peak memory after the flood", `${afterSender.toFixed(0)} MB`, "< 128 MB"],
    ["6 × 39 MB callbacks without token", `${refusedEarly}/6 refused mid-upload (401, then the connection closed; at most ${mostSent.toFixed(1)} MB got out)`, "6/6"],
    [
      "12 × 1 MB forms of 150k parameters",
      `${forms.filter((f) => f.status === 413 || (f.status === 0 && f.reset)).length}/12 refused unread (${forms.filter((f) => f.status === 413).length} answers 413 read, ${forms.filter((f) => f.status === 0 && f.reset).length} connections reset mid-body)`,
      "12/12",
    ],
    ["  relay CPU for both attacks", `${cpuMs.toFixed(0)} ms`, "well under 1 s"],
    ["  peak memory after both attacks", `${Math.max(afterCallbacks, rss).toFixed(0)} MB`, "< 128 MB"],
  ];
}

const noSenderLimits = { RELAY_SENDER_QUEUE_LIMIT: "100000", RELAY_SENDER_BURST: "100000", RELAY_SENDER_PER_HOUR: "1000000000" };

async function replays(): Promise<string[][]> {
  const s = await setup(noSenderLimits);
  const sent = Array.from({ length: 200 }, (_, i) => message(`replay ${i}`, allowed[i % allowed.length]));
  for (const params of sent) await signed(s, params);
  await until(() => s.vm.received.size === sent.length, 60_000);
  await s.relay.stop();
  await s.restart();
  for (const params of sent) await signed(s, params);
  // Anything the replays had queued would be handed over within this pause.
  await sleep(2_000);
  const duplicates = [...s.vm.received.values()].filter((n) => n > 1).length;
  await s.close();
  return [["200 delivered messages replayed after a restart", `${sent.length - duplicates}/${sent.length} deduplicated (${duplicates} ran twice)`, "200/200"]];
}

async function killUnderLoad(): Promise<string[][]> {
  const s = await setup(noSenderLimits);
  const run = runGenerator({ url: s.relay.url, publicUrl: bench.publicUrl, authToken: bench.authToken, accountSid: bench.accountSid, to: bench.whatsAppNumber, senders: allowed, rate: 200, seconds: 20, bodyChars: 300, timeoutMs: 30_000 });
  const kills: number[] = [];
  for (let kill = 0; kill < 2; kill++) {
    await sleep(7_000);
    const waiting = await s.relay.outbox().catch(() => -1);
    await s.relay.kill9();
    kills.push(waiting);
    await s.restart();
  }
  const results = await run;
  const ackedIds = results.filter((r) => r.outcome === "acked").map((r) => r.sid);
  await until(async () => (await s.relay.outbox()) === 0 && ackedIds.every((id) => s.vm.received.has(id)), 120_000);
  const summary = summarise(results);
  const { lost, duplicated } = lossAndDuplicates(results, s.vm.received);
  await s.close();
  return [
    ["kill -9 twice under 200 webhooks/s for 20 s", `${summary.acked} acknowledged, ${summary.told} told to resend, ${summary.errors} failed in flight (never acknowledged)`, ""],
    ["  waiting in the outbox at each kill", kills.join(", "), ""],
    ["  acknowledged messages lost", String(lost), "0"],
    ["  handed to the VM twice (the VM drops them by id)", String(duplicated), "a few at most"],
  ];
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the relay");
    await sleep(100);
  }
}

async function main(): Promise<void> {
  console.log(`relay reliability benchmark\nmachine: ${execSync("uptime").toString().trim()}`);
  const rows = [["check", "result", "goal"], ...(await badInputs()), ...(await floods()), ...(await replays()), ...(await killUnderLoad())];
  console.log(`\n${table(rows)}`);
  console.log(`\nmachine after: ${execSync("uptime").toString().trim()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
