// One sandbox (local Fly API, machine processes, proxy, fake Twilio) and one engine project with the
// real program on the `sandbox` stack, shared by the end-to-end tests.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { startSandbox, type RunningSandbox, type SandboxOptions } from "../../sandbox/daemon/sandbox";
import { FAKE_TWILIO } from "../../sandbox/daemon/fake-values";
import { sandboxConfigMap, sendSandboxMessage } from "../../sandbox/daemon/sandbox-stack";
import { createEngineProject, repoRoot, type EngineProject } from "../engine/harness";
import { programFiles, serviceFiles } from "../engine/fly-stack";
import { sharedRegistryUrl } from "../support/shared-registry";

export const relayApp = "sandbox-relay";
export const vmApp = "sandbox-vm";
const token = "fake-fly-token";
/** Every secret the stack is given, to look for where none may appear. */
export const e2eSecrets = [FAKE_TWILIO.authToken, "fake-anthropic-key", token];

export interface E2eSandbox {
  sandbox: RunningSandbox;
  project: EngineProject;
  stateDir: string;
  /** The sandbox's log lines ([runtime], [proxy], local Fly API). */
  lines: string[];
  /** Every pulumi command run, with its output. */
  transcript: string[];
  /** The one live machine of an app (fails the test when there is not exactly one). */
  machine(app: string): ReturnType<RunningSandbox["api"]["state"]>["machines"][number];
  /** A WhatsApp message from the sandbox phone, signed as Twilio signs webhooks; status 0 when the request failed. */
  send(body: string): Promise<{ status: number; body: string }>;
  /** Runs the CLI on the stack; throws with its output and the sandbox's last lines when it fails. */
  pulumi(args: string[]): Promise<string>;
  /** Replies the fake Twilio recorded for a text: fake claude answers "turn N: <first line of the prompt>". */
  repliesTo(text: string): { to: string; body: string }[];
  /** Reads the relay's outbox (files under RELAY_DATA_DIR/outbox on its volume). */
  relayOutbox(): () => string[];
  close(): Promise<void>;
}

export async function startE2eSandbox(extraConfig: Record<string, string> = {}, options: Pick<SandboxOptions, "mode" | "vmEnv" | "idleMs"> = {}): Promise<E2eSandbox> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "textslash-e2e-"));
  const lines: string[] = [];
  const transcript: string[] = [];
  // The run's registry (tests/support/shared-registry.ts): the images' layers are often there already.
  const sandbox = await startSandbox({ repoRoot, stateDir, token, idleMs: 4_000, stopTimeoutMs: 8_000, log: (l) => lines.push(l), registryUrl: sharedRegistryUrl(), ...options });
  const project = await createEngineProject({
    // The services too: `up` builds their images and pushes them to the sandbox's registry.
    copyFromRepo: [...programFiles, ...serviceFiles],
    stackName: "sandbox",
    // The deployment check reaches https://sandbox-relay.fly.dev through the proxy's public route.
    env: { FLY_API_TOKEN: token, FLY_PROXY_URL: sandbox.proxyUrl },
  });
  await project.stack.setAllConfig(sandboxConfigMap(sandbox.apiUrl, sandbox.registryUrl, extraConfig));
  let sent = 0;
  return {
    sandbox,
    project,
    stateDir,
    lines,
    transcript,
    machine(app) {
      const found = sandbox.api.state().machines.filter((m) => m.app === app && m.state !== "destroyed");
      expect(found, `machines of ${app}`).toHaveLength(1);
      return found[0]!;
    },
    send(body) {
      sent += 1;
      return sendSandboxMessage({ proxyUrl: sandbox.proxyUrl, relayApp, body, messageSid: `SMfake${String(sent).padStart(6, "0")}` })
        .catch((error: unknown) => ({ status: 0, body: `no answer: ${(error as Error).message}` }));
    },
    async pulumi(args) {
      const result = await project.cli(args);
      transcript.push(`$ pulumi ${args.join(" ")}\n${result.stdout}\n${result.stderr}`);
      if (result.code !== 0) throw new Error(`pulumi ${args[0]} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}\n${lines.slice(-30).join("\n")}`);
      return result.stdout;
    },
    repliesTo(text) {
      return sandbox.twilio.messages.filter((m) => m.body.trimEnd().endsWith(`: ${text}`));
    },
    relayOutbox() {
      const volume = sandbox.api.state().volumes.find((v) => v.app === relayApp);
      expect(volume, "the relay's volume").toBeDefined();
      const dir = path.join(stateDir, "volumes", volume!.id, "relay", "outbox");
      return () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => readFileSync(path.join(dir, f), "utf8")) : []);
    },
    async close() {
      await sandbox.close();
      await project.cleanup();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
