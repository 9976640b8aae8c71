import { createHash } from "node:crypto";
import path from "node:path";
import { startFlyApi, type LocalFlyApi } from "../flyapi";
import { FakeAnthropic } from "../fakes/fake-anthropic";
import { FakeTwilio } from "../fakes/fake-twilio";
import { ensureServiceImages, serviceImageTags } from "../images/service-images";
import { startRegistry } from "../images/registry";
import { FAKE_ANTHROPIC_KEY, FAKE_TWILIO } from "./fake-values";
import { FlyApiBackend } from "../proxy/flyapi-backend";
import { SandboxProxy } from "../proxy/proxy";
import { ContainerRuntime } from "../runtime/container-runtime";
import { ProcessRuntime } from "../runtime/process-runtime";

// The sandbox in one process: the local Fly API, the Fly-Proxy stand-in over that API, and the
// fakes. Machines run either as containers of the project's real images (mode "container": podman,
// the real Claude Code CLI in the VM against the Anthropic stand-in) or, in the fast mode for
// unit-level work, as local processes of the services' source (mode "process": fake claude). The
// daemon (main.ts) runs this for `npm run sandbox:up`; the end-to-end tests run it in-process.

export type SandboxMode = "process" | "container";
export type SandboxRuntime = ProcessRuntime | ContainerRuntime;

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
  /** Default "process". "container" needs podman (scripts/install-containers.sh) and builds the images first. */
  mode?: SandboxMode;
  /** Container mode: extra env for VM machines (sandbox-only, e.g. a shorter TASK_TIMEOUT_SECONDS in a test). */
  vmEnv?: Record<string, string>;
  /**
   * A registry already running (http://127.0.0.1:<port>) to push to instead of a new one of the
   * sandbox's own; the sandbox does not stop it. The tests share one per run: a fresh registry gets
   * the whole 2 GB VM image compressed and uploaded again (a minute of CPU), one that already holds
   * its layers under another app's name takes them in seconds (a cross-repository mount).
   */
  registryUrl?: string;
}

export interface RunningSandbox {
  apiUrl: string;
  /** The image registry `pulumi up` pushes to (textslash:imageRegistry): http://127.0.0.1:<port>. */
  registryUrl: string;
  proxyUrl: string;
  twilioUrl: string;
  token: string;
  api: LocalFlyApi;
  mode: SandboxMode;
  runtime: SandboxRuntime;
  proxy: SandboxProxy;
  twilio: FakeTwilio;
  /** Container mode: the Anthropic API stand-in the VM's real Claude Code talks to (scripts go here). */
  anthropic?: FakeAnthropic;
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
    // Where the program pushes the images it builds, as it pushes to registry.fly.io on Fly.
    let registry: { url: string };
    if (options.registryUrl) {
      registry = { url: options.registryUrl };
    } else {
      const own = await startRegistry({ dir: path.join(options.stateDir, "registry") });
      closers.push(() => own.stop());
      registry = own;
    }

    const twilio = new FakeTwilio({ ...FAKE_TWILIO });
    const twilioUrl = await twilio.start(options.ports?.twilio ?? 0);
    closers.push(() => twilio.stop());

    // The proxy needs the API's URL and the runtime needs the proxy's: bind the URL late.
    let apiUrl = "";
    const runtimeRef: { current?: SandboxRuntime } = {};
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

    const mode = options.mode ?? "process";
    let anthropic: FakeAnthropic | undefined;
    let runtime: SandboxRuntime;
    if (mode === "container") {
      await ensureServiceImages(options.repoRoot, log);
      const fake = new FakeAnthropic({ apiKey: FAKE_ANTHROPIC_KEY });
      const anthropicUrl = await fake.start();
      anthropic = fake;
      closers.push(() => fake.stop());
      runtime = new ContainerRuntime({
        repoRoot: options.repoRoot,
        stateDir: options.stateDir,
        images: serviceImageTags,
        // One sandbox's containers and volumes never meet another's (tests run side by side).
        namespace: `textslash-sbx-${createHash("sha256").update(path.resolve(options.stateDir)).digest("hex").slice(0, 10)}`,
        proxyUrl,
        log,
        stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
        // Sandbox-only additions, never in the Pulumi program: the fakes stand in for Twilio and Anthropic.
        sandboxEnv: (kind): Record<string, string> => kind === "relay"
          ? { TWILIO_API_URL: twilioUrl }
          : { ANTHROPIC_BASE_URL: anthropicUrl, ...options.vmEnv },
      });
      log(`[sandbox] container mode: machines run the images built from this checkout (podman); Anthropic stand-in ${anthropicUrl}`);
    } else {
      const fakeClaude = path.join(options.repoRoot, "sandbox", "fakes", "fake-claude");
      runtime = new ProcessRuntime({
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
      log("[sandbox] process mode (fast): machines run the services' source as local processes, with fake claude");
    }
    runtimeRef.current = runtime;
    const machines = runtime;
    closers.push(() => machines.stopAll());

    const api = await startFlyApi({
      port: options.ports?.api ?? 0,
      token: options.token,
      runtime,
      log,
      ...(options.persistPath ? { persistPath: options.persistPath } : {}),
    });
    apiUrl = api.url;
    closers.push(() => api.close());
    log(`[sandbox] Fly API ${api.url}, proxy ${proxyUrl}, fake Twilio ${twilioUrl}, image registry ${registry.url}`);
    return {
      apiUrl, registryUrl: registry.url, proxyUrl, twilioUrl, token: options.token, api, mode, runtime, proxy, twilio, ...(anthropic ? { anthropic } : {}),
      pids: () => machines.pids(), close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
