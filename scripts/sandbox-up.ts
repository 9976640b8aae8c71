// npm run sandbox:up — the whole stack on this machine, no Fly/Twilio/Anthropic account:
// starts the sandbox daemon (local Fly API, machine processes, proxy, fake Twilio) if it is not
// running, then runs the REAL `pulumi up` of this repository's program on the local stack
// `sandbox`. Run it again to converge (e.g. after changing the program or a config value).
import { ensureDaemon } from "../sandbox/daemon/control";
import { ensureStack, pulumiRunner, sandboxStackConfig, setStackConfig, stackOutputs, SANDBOX_STACK } from "../sandbox/daemon/pulumi";
import { sandboxPaths } from "../sandbox/daemon/state";
import { SANDBOX_PHONE } from "../sandbox/daemon/fake-values";
import { ensureServiceDependencies } from "../sandbox/daemon/service-deps";

async function main(): Promise<void> {
  const paths = sandboxPaths();
  ensureServiceDependencies();
  const daemon = await ensureDaemon({ paths });
  console.log(`local Fly API ${daemon.apiUrl} · proxy ${daemon.proxyUrl} · fake Twilio ${daemon.twilioUrl}`);
  const pulumi = await pulumiRunner(paths, daemon);
  await ensureStack(paths, pulumi);
  // The daemon may have restarted on another port: the config always gets the current URL.
  await setStackConfig(paths, pulumi, sandboxStackConfig(daemon.apiUrl));
  // A previous sandbox:down may have left allowDataLoss=true; a normal deploy keeps the guard on.
  await pulumi.capture(["config", "rm", "textslash:allowDataLoss", "--stack", SANDBOX_STACK, "--config-file", paths.stackConfig]).catch(() => "");
  console.log(`pulumi up (stack ${SANDBOX_STACK}, state in ${paths.pulumiBackend})`);
  try {
    await pulumi.stream(["up", "--yes", "--skip-preview", "--stack", SANDBOX_STACK, "--config-file", paths.stackConfig]);
  } catch (error) {
    // A machine that did not come up is a local process here: its own output says why.
    throw new Error(
      `${(error as Error).message}\n  each machine's output is in ${paths.machineLogs}/<app>-<machine id>.log, the sandbox's own in ${paths.daemonLog}; ` +
        `fix the cause and run \`npm run sandbox:up\` again (it converges what is there)`,
    );
  }
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
