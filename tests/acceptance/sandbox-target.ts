// The acceptance suite's target in this workplace: the local sandbox (local Fly API running the services as
// processes, the Fly-Proxy stand-in, the fake Twilio), reached the way the real target is reached: the CLI
// gets FLY_API_URL and FLY_API_TOKEN, public URLs go through the proxy's public route, replies are read
// from the fake Twilio's record of its Messages API.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FlyClient } from "../../components/fly/client";
import { viaSandboxProxy } from "../../components/deployment-check/settings.mjs";
import { FAKE_ANTHROPIC_KEY, FAKE_TWILIO, SANDBOX_PHONE, SANDBOX_WHATSAPP_NUMBER } from "../../sandbox/daemon/fake-values";
import { startSandbox } from "../../sandbox/daemon/sandbox";
import { repoRoot } from "../engine/harness";
import { sharedRegistryUrl } from "../support/shared-registry";
import type { AcceptanceTarget } from "./target";

const TOKEN = "fake-fly-token-acceptance";

export async function sandboxTarget(log: (line: string) => void = () => undefined): Promise<AcceptanceTarget> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "textslash-acceptance-"));
  // In a test run, the run's registry (tests/support/shared-registry.ts); on its own, one of the sandbox's.
  const sandbox = await startSandbox({ repoRoot, stateDir, token: TOKEN, idleMs: 4_000, stopTimeoutMs: 8_000, log, registryUrl: sharedRegistryUrl() });
  const fly = new FlyClient({ token: TOKEN, baseUrl: sandbox.apiUrl, env: {} });
  return {
    describe: `the local sandbox (Fly API ${sandbox.apiUrl}, proxy ${sandbox.proxyUrl})`,
    standInPlugins: true,
    cliEnv: { FLY_API_URL: sandbox.apiUrl, FLY_API_TOKEN: TOKEN, FLY_PROXY_URL: sandbox.proxyUrl },
    config: {
      plain: {
        // `up` builds the checkout's images and pushes them to the sandbox's registry, as on Fly to
        // registry.fly.io; the VM's takes Debian's chromium (Playwright's download is out of reach).
        "textslash:imageRegistry": sandbox.registryUrl,
        "textslash:vmBrowser": "debian",
        "textslash:twilioAccountSid": FAKE_TWILIO.accountSid,
        "textslash:twilioWhatsappNumber": SANDBOX_WHATSAPP_NUMBER,
        "textslash:allowedPhoneNumbers": SANDBOX_PHONE,
      },
      secret: { "textslash:twilioAuthToken": FAKE_TWILIO.authToken, "textslash:anthropicApiKey": FAKE_ANTHROPIC_KEY },
    },
    twilio: { accountSid: FAKE_TWILIO.accountSid, authToken: FAKE_TWILIO.authToken, number: SANDBOX_WHATSAPP_NUMBER, phone: SANDBOX_PHONE },
    fly,
    listApps: async () => (await fly.apps.list("personal")).map((a) => a.name),
    publicUrl: (url) => viaSandboxProxy(url, sandbox.proxyUrl),
    waitForReply: async ({ to, prompt, timeoutMs }) => {
      // The fake claude answers "turn N: <first line of the prompt>".
      const deadline = Date.now() + timeoutMs;
      while (!sandbox.twilio.messages.some((m) => m.to === to && m.body.includes(prompt))) {
        if (Date.now() > deadline) throw new Error(`no message to ${to} answering "${prompt}" at the fake Twilio within ${Math.round(timeoutMs / 1000)}s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    budgets: { replyMs: 120_000, sleepMs: 120_000 },
    close: async () => {
      await sandbox.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
