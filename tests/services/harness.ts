// Shared set-up for the service tests: real HTTP on 127.0.0.1 ephemeral ports, temp data dirs,
// the fake Twilio, the fake claude, and a recording stub for "the other service".
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseRelayEnv, type RelayEnv } from "../../services/relay/src/env";
import { buildApp as buildRelay, type Relay, type RelayDeps } from "../../services/relay/src/app";
import type { BackoffOptions } from "../../services/relay/src/delivery";
import { parseVmEnv, type VmEnv } from "../../services/vm/src/env";
import { buildApp as buildVm, type Vm } from "../../services/vm/src/app";
import { FakeTwilio } from "../../sandbox/fakes/fake-twilio";
import { killIfAlive } from "./process-tree";
import { agentEnv, agentFakeClaude, giveToAgent, testCgroup } from "./agent-fixture";

export const fake = {
  accountSid: "ACfake",
  authToken: "fake-twilio-auth-token",
  sharedToken: "fake-shared-token-0123456789",
  whatsAppNumber: "whatsapp:+14155238886",
  user: "whatsapp:+15550001111",
  otherUser: "whatsapp:+15550002222",
  stranger: "whatsapp:+15559999999",
};

/** The fake claude as the test's own user runs it (the agent runs agentFakeClaude()). */
export const fakeClaudeBin = resolve(__dirname, "../../sandbox/fakes/fake-claude");

/** Cleanup steps run in reverse order by `cleanup()` (call it in afterEach). */
const cleanups: (() => Promise<unknown>)[] = [];
export async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
}

/**
 * The response of a request to the VM's /tasks, read to its end in the background as the relay reads it
 * (the caller gets a copy to read, or not). The VM holds that response open until the task is answered;
 * left unread by a test, closing the VM at cleanup waited about a minute (62 s measured, 0.4 s read).
 */
export async function drained(response: Promise<Response>): Promise<Response> {
  const original = await response;
  const copy = original.clone();
  void original.arrayBuffer().catch(() => undefined);
  return copy;
}

/** Registers a cleanup step for the current test (run by `cleanup()`, last registered first). */
export function deferCleanup(step: () => Promise<unknown>): void {
  cleanups.push(step);
}

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `textslash-${prefix}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A port nothing listens on right now (used for "VM not up yet"). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const twilio = new FakeTwilio({ accountSid: fake.accountSid, authToken: fake.authToken });
  await twilio.start();
  cleanups.push(() => twilio.stop());
  return twilio;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface Stub {
  url: string;
  requests: RecordedRequest[];
  server: Server;
  /** Resolves when at least `count` requests arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
}

/** A recording HTTP server standing in for the VM (for relay tests) or the relay (for VM tests). */
export async function startStub(
  respond: (req: RecordedRequest, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(202, { "content-type": "application/json" });
    res.end('{"accepted":true}');
  },
  port = 0,
): Promise<Stub> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(recorded);
      respond(recorded, res);
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url,
    requests,
    server,
    async waitFor(count, timeoutMs = 15_000) {
      await until(() => requests.length >= count, timeoutMs, `expected ${count} requests at ${url}, got ${requests.length}`);
      return requests.slice(0, count);
    },
  };
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await sleep(25);
  }
}

export interface RunningRelay extends Relay {
  url: string;
  env: RelayEnv;
}

export interface RelayOptions {
  claudeHost: string;
  twilioUrl: string;
  dataDir?: string;
  port?: number;
  logs?: string[];
  backoff?: BackoffOptions;
  shutdownGraceSeconds?: number;
  /** Extra relay environment (limits), over the defaults below. */
  env?: Record<string, string>;
  deps?: RelayDeps;
}

export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const port = options.port ?? (await freePort());
  const env = parseRelayEnv({
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    CLAUDE_HOST: options.claudeHost,
    TWILIO_ACCOUNT_SID: fake.accountSid,
    TWILIO_AUTH_TOKEN: fake.authToken,
    TWILIO_WHATSAPP_NUMBER: fake.whatsAppNumber,
    ALLOWED_PHONE_NUMBERS: `${fake.user}, +15550002222`,
    RELAY_SHARED_TOKEN: fake.sharedToken,
    TWILIO_API_URL: options.twilioUrl,
    RELAY_DATA_DIR: options.dataDir ?? (await tempDir("relay")),
    SHUTDOWN_GRACE_SECONDS: String(options.shutdownGraceSeconds ?? 0),
    LOG_LEVEL: options.logs ? "trace" : "silent",
    ...options.env,
  });
  const logs = options.logs;
  const relay = await buildRelay(env, {
    backoff: options.backoff ?? { initialDelayMs: 50, maxDelayMs: 200, maxAttempts: 200, mediaAttempts: 3 },
    // twilio-node's own 429 retry stays on; only its waits are shortened.
    twilioRetries: { maxRetries: 4, maxRetryDelayMs: 200 },
    cancelRetry: { attempts: 2, delayMs: 50 },
    ...(logs ? { logStream: { write: (line: string) => void logs.push(line) } } : {}),
    ...options.deps,
  });
  await relay.app.listen({ port: env.PORT, host: env.HOST });
  cleanups.push(() => relay.app.close());
  return { ...relay, url: env.PUBLIC_URL, env };
}

/** One line of the fake claude's calls.jsonl. */
export interface FakeClaudeCall {
  pid: number;
  uid: number;
  args: string[];
  cwd: string;
  home: string;
  hasRelayToken: boolean;
}

export interface RunningVm extends Vm {
  url: string;
  env: VmEnv;
  claudeState: string;
  /** The fake claude's call log (one entry per run). */
  calls(): Promise<FakeClaudeCall[]>;
}

export interface VmOptions {
  relayUrl: string;
  port?: number;
  dataDir?: string;
  timeoutSeconds?: number;
  logs?: string[];
  /** Other variables of the VM's environment (MAX_QUEUED_PER_SENDER, …). */
  env?: Record<string, string>;
}

/** The VM in this process, Claude run as the test agent in a cgroup of the test's own (as in the image). */
export async function startVm(options: VmOptions): Promise<RunningVm> {
  const claudeState = await giveToAgent(await tempDir("claude"));
  const env = parseVmEnv({
    PORT: String(options.port ?? 0),
    HOST: "127.0.0.1",
    RELAY_CALLBACK_URL: options.relayUrl,
    RELAY_SHARED_TOKEN: fake.sharedToken,
    ANTHROPIC_API_KEY: "fake-anthropic-key",
    DATA_DIR: options.dataDir ?? (await tempDir("vm")),
    CLAUDE_BIN: await agentFakeClaude(),
    TASK_TIMEOUT_SECONDS: String(options.timeoutSeconds ?? 60),
    SHUTDOWN_GRACE_SECONDS: "0",
    VM_ALLOW_ROOT: "true",
    LOG_LEVEL: options.logs ? "trace" : "silent",
    ...agentEnv(await testCgroup()),
    ...options.env,
  });
  const logs = options.logs;
  const vm = await buildVm(env, {
    childEnv: { FAKE_CLAUDE_STATE_DIR: claudeState },
    ...(logs ? { logStream: { write: (line: string) => void logs.push(line) } } : {}),
  });
  const address = await vm.app.listen({ port: env.PORT, host: env.HOST });
  const claudePids = async () =>
    (await readFile(join(claudeState, "calls.jsonl"), "utf8").catch(() => ""))
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => (JSON.parse(l) as { pid: number }).pid);
  // Runs after the close below (cleanups run last first): whatever a run left is killed.
  cleanups.push(async () => killIfAlive(await claudePids()));
  cleanups.push(() => vm.app.close());
  return {
    ...vm,
    url: address,
    env,
    claudeState,
    async calls() {
      const text = await readFile(join(claudeState, "calls.jsonl"), "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as FakeClaudeCall);
    },
  };
}
