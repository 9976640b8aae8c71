import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { installStandIns } from "../plugins/install";
import { FAKE_ANTHROPIC_KEY, FAKE_TWILIO, SANDBOX_PHONE, SANDBOX_WHATSAPP_NUMBER } from "./fake-values";
import { repoRoot, writePrivateFile, type DaemonInfo, type SandboxPaths } from "./state";
import { goProgress, runLogged, runStep, type Say, type Step } from "./steps";

// The REAL `pulumi` CLI on the repository's own program, stack `sandbox`, with everything local:
// a file backend in .sandbox/pulumi, a passphrase from a generated file, and the stack config in
// .sandbox/Pulumi.sandbox.yaml (--config-file), so nothing is written beside Pulumi.yaml.
// Only config differs from a real Fly stack: the Fly API URL/token and obviously fake secrets.

export const SANDBOX_STACK = "sandbox";

/** The stack config of the sandbox: plain values and (obviously fake) secrets. */
export function sandboxStackConfig(apiUrl: string, registryUrl: string): { plain: Record<string, string>; secret: Record<string, string> } {
  return {
    plain: {
      "textslash:flyApiUrl": apiUrl,
      // Images built from this checkout go to the sandbox's registry (plain HTTP on loopback), and
      // the VM's takes Debian's chromium: Playwright's download is out of reach here.
      "textslash:imageRegistry": registryUrl,
      "textslash:vmBrowser": "debian",
      "textslash:twilioAccountSid": FAKE_TWILIO.accountSid,
      "textslash:twilioWhatsappNumber": SANDBOX_WHATSAPP_NUMBER,
      "textslash:allowedPhoneNumbers": SANDBOX_PHONE,
    },
    secret: {
      "textslash:twilioAuthToken": FAKE_TWILIO.authToken,
      "textslash:anthropicApiKey": FAKE_ANTHROPIC_KEY,
    },
  };
}

/** The daemon's image registry; a daemon started before the sandbox had one must be restarted. */
export function registryOf(daemon: DaemonInfo): string {
  if (!daemon.registryUrl) {
    throw new Error(`the running sandbox daemon (pid ${daemon.pid}) has no image registry (it predates them); stop it with \`kill ${daemon.pid}\` and run npm run sandbox:up again`);
  }
  return daemon.registryUrl;
}

export interface PulumiRunner {
  /** Runs the CLI in the repo root with output streamed through; rejects on a non-zero exit. */
  stream(args: string[]): Promise<void>;
  /**
   * Runs the CLI and returns stdout; rejects with stderr on a non-zero exit. `input` is written to
   * its stdin: how a secret reaches `pulumi config set --secret` without being in any argv.
   */
  capture(args: string[], input?: string): Promise<string>;
}

/** The toolchain step of sandbox:up: a cache hit returns at once, a cold build takes minutes. */
export const TOOLCHAIN_STEP: Step = {
  name: "toolchain",
  doing: "finding or building the pinned pulumi CLI",
  usually: "under a second when built before; 10-30 min to build from source the first time",
  timeoutMs: 60 * 60_000,
  whenSlow: "What it built so far is kept (Go's module and build caches). Run `npm run toolchain` alone to finish it, then `npm run sandbox:up` again; or install pulumi 3.276.0 so that it is used instead.",
};

/**
 * The directory of the pinned CLI (scripts/toolchain.sh), its output in .sandbox/logs/toolchain.log.
 * The script's `pulumi version` check writes logs to PULUMI_HOME: the sandbox's, not the user's.
 */
export async function toolchainBin(paths: SandboxPaths, say?: Say): Promise<string> {
  const logFile = path.join(paths.machineLogs, "toolchain.log");
  const env = { ...process.env, PULUMI_HOME: paths.pulumiHome };
  const script = path.join(repoRoot, "scripts", "toolchain.sh");
  const run = (signal: AbortSignal) => runLogged("bash", [script], { cwd: repoRoot, env, logFile, signal });
  const stdout = say ? await runStep(TOOLCHAIN_STEP, run, say, goProgress(logFile)) : await run(AbortSignal.timeout(TOOLCHAIN_STEP.timeoutMs));
  const bin = stdout.trim().split("\n").pop() ?? "";
  if (!bin) throw new Error("scripts/toolchain.sh printed no bin directory; run `bash scripts/toolchain.sh` to see why");
  return bin;
}

export async function pulumiRunner(paths: SandboxPaths, daemon: DaemonInfo, options: { bin?: string } = {}): Promise<PulumiRunner> {
  mkdirSync(paths.pulumiBackend, { recursive: true });
  mkdirSync(paths.pulumiHome, { recursive: true });
  const bin = options.bin ?? (await toolchainBin(paths));
  // The random/command/docker plugins the program needs, as stand-ins, in the sandbox's own
  // PULUMI_HOME only (a user's pulumi downloads the real ones; see docs/stand-in-plugins.md).
  await installStandIns({ pulumiHome: paths.pulumiHome, pulumiBinDir: bin });
  if (!existsSync(paths.passphraseFile)) writePrivateFile(paths.passphraseFile, `${randomBytes(24).toString("hex")}\n`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: paths.pulumiHome,
    PULUMI_BACKEND_URL: `file://${paths.pulumiBackend}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: paths.passphraseFile,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    FLY_API_TOKEN: daemon.token,
    // `up` checks the relay's public /health from outside: here that is the proxy's public route.
    FLY_PROXY_URL: daemon.proxyUrl,
  };
  delete env.PULUMI_CONFIG_PASSPHRASE;
  delete env.PULUMI_ACCESS_TOKEN;
  const pulumi = path.join(bin, "pulumi");
  return {
    stream: (args) => new Promise((resolve, reject) => {
      const child = spawn(pulumi, [...args, "--non-interactive"], { cwd: repoRoot, env, stdio: "inherit" });
      child.once("error", reject);
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi ${args[0] ?? ""} failed (exit ${code ?? "signal"}); see its output above`))));
    }),
    capture: (args, input) => new Promise((resolve, reject) => {
      const child = spawn(pulumi, [...args, "--non-interactive"], { cwd: repoRoot, env, stdio: ["pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
      child.once("error", reject);
      child.once("close", (code) => {
        if (code === 0) return resolve(Buffer.concat(out).toString("utf8"));
        const why = Buffer.concat(err).toString("utf8").trim() || `exit ${code ?? "signal"}`;
        reject(new Error(`pulumi ${args.join(" ")} failed: ${why}`));
      });
      child.stdin.end(input ?? "");
    }),
  };
}

/**
 * Creates the `sandbox` stack once. `pulumi stack init` writes the passphrase salt into a stack
 * config file beside Pulumi.yaml; it runs in a scratch copy of the project file and the result is
 * moved to .sandbox/Pulumi.sandbox.yaml, so the repository root gets no stack file.
 */
export async function ensureStack(paths: SandboxPaths, pulumi: PulumiRunner): Promise<void> {
  const exists = await stackExists(pulumi);
  if (exists && existsSync(paths.stackConfig)) return;
  if (exists) throw new Error(`the sandbox stack exists in ${paths.pulumiBackend} but ${paths.stackConfig} (its passphrase salt) is gone; delete ${paths.pulumiBackend} and run sandbox:up again`);
  mkdirSync(paths.stackInitDir, { recursive: true });
  const projectName = /^name:\s*(\S+)/m.exec(readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"))?.[1] ?? "textslash";
  writeFileSync(path.join(paths.stackInitDir, "Pulumi.yaml"), `name: ${projectName}\nruntime: nodejs\n`);
  await pulumi.capture(["stack", "init", SANDBOX_STACK, "--cwd", paths.stackInitDir]);
  renameSync(path.join(paths.stackInitDir, `Pulumi.${SANDBOX_STACK}.yaml`), paths.stackConfig);
}

/**
 * Writes the sandbox config: the plain values in one `pulumi config set-all`, each secret with
 * `pulumi config set --secret KEY` reading the value from stdin. A secret is never put in an argv,
 * where any user of the machine can read it (`ps`, /proc/<pid>/cmdline) while the CLI runs.
 */
export async function setStackConfig(paths: SandboxPaths, pulumi: PulumiRunner, values: { plain: Record<string, string>; secret: Record<string, string> }): Promise<void> {
  const target = ["--stack", SANDBOX_STACK, "--config-file", paths.stackConfig];
  const plain = Object.entries(values.plain).flatMap(([key, value]) => ["--plaintext", `${key}=${value}`]);
  if (plain.length > 0) await pulumi.capture(["config", "set-all", ...target, ...plain]);
  // The CLI trims one trailing newline from stdin; the value is written without one.
  for (const [key, value] of Object.entries(values.secret)) await pulumi.capture(["config", "set", "--secret", key, ...target], value);
}

export async function stackOutputs(pulumi: PulumiRunner): Promise<Record<string, unknown>> {
  const out = await pulumi.capture(["stack", "output", "--json", "--stack", SANDBOX_STACK]);
  return JSON.parse(out) as Record<string, unknown>;
}

/** The stack exists in the sandbox backend (false after a destroy + rm, or before the first up). */
export async function stackExists(pulumi: PulumiRunner): Promise<boolean> {
  const stacks = await pulumi.capture(["stack", "ls", "--json"]).catch(() => "[]");
  return (JSON.parse(stacks) as { name: string }[]).some((s) => s.name === SANDBOX_STACK || s.name.endsWith(`/${SANDBOX_STACK}`));
}
