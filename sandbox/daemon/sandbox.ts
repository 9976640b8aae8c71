import path from "node:path";
import { startFlyApi, type LocalFlyApi } from "../flyapi";
import { FakeTwilio } from "../fakes/fake-twilio";
import { FAKE_TWILIO } from "./fake-values";
import { FlyApiBackend } from "../proxy/flyapi-backend";
import { SandboxProxy } from "../proxy/proxy";
import { ProcessRuntime } from "../runtime/process-runtime";

// The sandbox in one process: the local Fly API (running the project's images as local processes
// through the ProcessRuntime), the Fly-Proxy stand-in over that API, and the fake Twilio. The
// daemon (main.ts) runs this for `npm run sandbox:up`; the end-to-end test runs it in-process.

export interface SandboxOptions {
  repoRoot: string;
  /** Volumes, machine scratch dirs, logs, fake-claude sessions; usually <repo>/.sandbox. */
  stateDir: string;
  /** The local Fly API's bearer token. */
  token: string;
  /** Where the Fly API keeps its state across restarts; omitted = in memory only. */
  persistPath?: string;
  /** Idle time before the proxy stops/suspends a machine with autostop (Fly: a few minutes). */
  idleMs?: number;
  /** Fixed ports (0 = any free port). */
  ports?: { api?: number; proxy?: number; twilio?: number };
  /** How long a machine gets to drain on stop before SIGKILL. */
  stopTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningSandbox {
  apiUrl: string;
  proxyUrl: string;
  twilioUrl: string;
  token: string;
  api: LocalFlyApi;
  runtime: ProcessRuntime;
  proxy: SandboxProxy;
  twilio: FakeTwilio;
  /** Every process the sandbox runs for machines right now. */
  pids(): number[];
  /** Stops the proxy, the API, every machine process and the fake Twilio; safe to call twice. */
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const closers: (() => Promise<void>)[] = [];
  // Reverse order of start, except that the proxy goes first so that nothing is woken while the
  // API and the machines shut down.
  let proxyCloser: (() => Promise<void>) | undefined;
  const close = async (): Promise<void> => {
    const first = proxyCloser ? [proxyCloser] : [];
    proxyCloser = undefined;
    for (const closer of [...first, ...closers.splice(0).reverse()]) {
      await closer().catch((error: unknown) => log(`[sandbox] shutdown step failed: ${(error as Error).message}`));
    }
  };
  try {
    const twilio = new FakeTwilio({ ...FAKE_TWILIO });
    const twilioUrl = await twilio.start(options.ports?.twilio ?? 0);
    closers.push(() => twilio.stop());

    // The proxy needs the API's URL and the runtime needs the proxy's: bind the URL late.
    let apiUrl = "";
    const runtimeRef: { current?: ProcessRuntime } = {};
    const backend = new FlyApiBackend({
      apiUrl: () => apiUrl,
      token: options.token,
      runtime: {
        portOf: (id) => runtimeRef.current?.portOf(id),
        waitHealthy: (id, ms) => (runtimeRef.current ? runtimeRef.current.waitHealthy(id, ms) : Promise.reject(new Error("runtime not ready"))),
      },
    });
    const proxy = new SandboxProxy({ backend, idleMs: options.idleMs ?? 60_000, log });
    const proxyUrl = await proxy.listen(options.ports?.proxy ?? 0);
    proxyCloser = () => proxy.close();

    const fakeClaude = path.join(options.repoRoot, "sandbox", "fakes", "fake-claude");
    const runtime = new ProcessRuntime({
      repoRoot: options.repoRoot,
      stateDir: options.stateDir,
      proxyUrl,
      log,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
      // Sandbox-only additions, never in the Pulumi program: the fakes stand in for Twilio and Claude.
      sandboxEnv: (kind): Record<string, string> => kind === "relay"
        ? { TWILIO_API_URL: twilioUrl }
        // No agent user or cgroup here (a laptop need not be root): the fake claude runs as the VM's user.
        : { CLAUDE_BIN: fakeClaude, VM_ALLOW_ROOT: "true", AGENT_ISOLATION: "off", AGENT_ENV_PASSTHROUGH: "FAKE_CLAUDE_STATE_DIR",
          FAKE_CLAUDE_STATE_DIR: path.join(options.stateDir, "fake-claude") },
    });
    runtimeRef.current = runtime;
    closers.push(() => runtime.stopAll());

    const api = await startFlyApi({
      port: options.ports?.api ?? 0,
      token: options.token,
      runtime,
      log,
      ...(options.persistPath ? { persistPath: options.persistPath } : {}),
    });
    apiUrl = api.url;
    closers.push(() => api.close());
    log(`[sandbox] Fly API ${api.url}, proxy ${proxyUrl}, fake Twilio ${twilioUrl}`);
    return { apiUrl, proxyUrl, twilioUrl, token: options.token, api, runtime, proxy, twilio, pids: () => runtime.pids(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
