// npm run sandbox:up — the whole stack on this machine, no Fly/Twilio/Anthropic account:
// starts the sandbox daemon (local Fly API, machine processes, proxy, fake Twilio) if it is not
// running, then runs the REAL `pulumi up` of this repository's program on the local stack
// `sandbox`. Run it again to converge (e.g. after changing the program or a config value).
import { ensureDaemon } from "../sandbox/daemon/control";
import path from "node:path";
import { describeMode, sandboxMode } from "../sandbox/daemon/mode";
import { ensureStack, pulumiRunner, registryOf, sandboxStackConfig, setStackConfig, stackOutputs, toolchainBin, SANDBOX_STACK } from "../sandbox/daemon/pulumi";
import { repoRoot, sandboxPaths } from "../sandbox/daemon/state";
import { ensureServiceImages } from "../sandbox/images/service-images";
import { SANDBOX_PHONE } from "../sandbox/daemon/fake-values";
import { servicesNeedingInstall } from "../sandbox/daemon/service-deps";
import { runLogged, runStep, StepTimeout, type Step } from "../sandbox/daemon/steps";

const say = (line: string): void => console.log(line);

const SERVICES_STEP: Step = {
  name: "services",
  doing: "installing the relay's and the VM's dependencies from their lockfiles",
  usually: "1-3 min, once",
  timeoutMs: 20 * 60_000,
  whenSlow: "Run `bash scripts/install-services.sh` alone to see it finish (npm keeps what it downloaded), then `npm run sandbox:up` again.",
};
const IMAGES_STEP: Step = {
  name: "images",
  doing: "building the relay and VM images from this checkout with podman (container mode)",
  usually: "5-10 min the first time, seconds when their inputs did not change",
  timeoutMs: 40 * 60_000,
  whenSlow: "Run `npx tsx sandbox/images/cli.ts ensure relay vm` alone to see the build's log, or `SANDBOX_MODE=process npm run sandbox:up` for the fast mode.",
};
const DAEMON_STEP: Step = {
  name: "sandbox",
  doing: "starting the sandbox daemon (local Fly API, proxy, fake Twilio)",
  usually: "a few seconds",
  timeoutMs: 3 * 60_000,
  whenSlow: "See .sandbox/daemon.log, then `npm run sandbox:down` and `npm run sandbox:up` again.",
};
const STACK_STEP: Step = {
  name: "stack",
  doing: "creating the local stack `sandbox` and writing its config",
  usually: "10-30 s",
  timeoutMs: 10 * 60_000,
  whenSlow: "The machine is very busy or the CLI is stuck: stop it (Ctrl-C) and run `npm run sandbox:up` again.",
};
const DEPLOY_STEP: Step = {
  name: "deploy",
  doing: "running `pulumi up` of the program against the sandbox",
  usually: "builds the relay and VM images, then deploys: up to 15 min the first time (the VM image with an empty layer cache, docs/images.md), about a minute after an edit under services/, seconds when nothing changed",
  timeoutMs: 30 * 60_000,
  whenSlow: "Each machine's output is in .sandbox/logs/, the sandbox's in .sandbox/daemon.log. Run `npm run sandbox:up` again: it converges what is there (after `pulumi cancel` if it says the stack is locked).",
};

async function main(): Promise<void> {
  const paths = sandboxPaths();
  const started = Date.now();
  if (servicesNeedingInstall().length > 0) {
    const logFile = path.join(paths.machineLogs, "install-services.log");
    await runStep(SERVICES_STEP, (signal) => runLogged("bash", [path.join(repoRoot, "scripts", "install-services.sh")], { cwd: repoRoot, logFile, signal }), say);
  }
  const bin = await toolchainBin(paths, say);
  const mode = await sandboxMode(undefined, say);
  // Built here, with progress shown, so the daemon finds them up to date (SANDBOX_MODE=process skips this).
  if (mode === "container") await runStep(IMAGES_STEP, () => ensureServiceImages(repoRoot, say), say);
  const daemon = await runStep(DAEMON_STEP, () => ensureDaemon({ paths }), say);
  console.log(`  machines run as ${describeMode(mode)} (a daemon already running keeps the mode it started with; see ${paths.daemonLog})`);
  console.log(`  local Fly API ${daemon.apiUrl} · proxy ${daemon.proxyUrl} · fake Twilio ${daemon.twilioUrl}`);
  const pulumi = await pulumiRunner(paths, daemon, { bin });
  await runStep(STACK_STEP, async () => {
    await ensureStack(paths, pulumi);
    // The daemon may have restarted on another port: the config always gets the current URL.
    await setStackConfig(paths, pulumi, sandboxStackConfig(daemon.apiUrl, registryOf(daemon)));
    // A previous sandbox:down may have left allowDataLoss=true; a normal deploy keeps the guard on.
    await pulumi.capture(["config", "rm", "textslash:allowDataLoss", "--stack", SANDBOX_STACK, "--config-file", paths.stackConfig]).catch(() => "");
  }, say);
  console.log(`  state in ${paths.pulumiBackend} (the sandbox's own backend, not your pulumi login)`);
  try {
    await runStep(DEPLOY_STEP, () => pulumi.stream(["up", "--yes", "--skip-preview", "--stack", SANDBOX_STACK, "--config-file", paths.stackConfig]), say);
  } catch (error) {
    if (error instanceof StepTimeout) throw error;
    // A machine that did not come up is a local process here: its own output says why.
    throw new Error(
      `${(error as Error).message}\n  each machine's output is in ${paths.machineLogs}/<app>-<machine id>.log, the sandbox's own in ${paths.daemonLog}; ` +
        `fix the cause and run \`npm run sandbox:up\` again (it converges what is there)`,
    );
  }
  console.log(`sandbox:up took ${Math.round((Date.now() - started) / 1000)} s`);
  const outputs = await stackOutputs(pulumi);
  const relayApp = String(outputs.relayApp ?? "");
  console.log("");
  console.log(`webhook URL (as Twilio would be configured): ${String(outputs.webhookUrl ?? "?")}`);
  console.log(`reachable locally through the proxy at:      ${daemon.proxyUrl}/_public/${relayApp}/webhook`);
  console.log(`send a WhatsApp-style message from ${SANDBOX_PHONE}:  npm run sandbox:send -- "hello"`);
  console.log("tear everything down:                         npm run sandbox:down");
}

main().catch((error: unknown) => {
  console.error(`sandbox:up failed: ${(error as Error).message}`);
  process.exit(1);
});
