// npm run sandbox:down — `pulumi destroy` of the local stack, then stops the daemon and checks by
// pid that no sandbox process is left. The VM's /data volume is guarded: destroy needs
// textslash:allowDataLoss=true recorded by a `pulumi up` first, which this script does (in the
// sandbox only; the data is fake).
import { daemonHealthy, pruneVolumeDirs, readMachinePids, stopDaemon } from "../sandbox/daemon/control";
import { pulumiRunner, registryOf, sandboxStackConfig, setStackConfig, stackExists, SANDBOX_STACK } from "../sandbox/daemon/pulumi";
import { pidAlive, readDaemonInfo, sandboxPaths } from "../sandbox/daemon/state";

async function main(): Promise<void> {
  const paths = sandboxPaths();
  const daemon = readDaemonInfo(paths);
  // The machine processes running before the destroy: all of them must be gone at the end.
  const machinePidsBefore = readMachinePids(paths);
  let destroyError: Error | undefined;
  if (daemon && pidAlive(daemon.pid) && (await daemonHealthy(daemon))) {
    const pulumi = await pulumiRunner(paths, daemon);
    if (await stackExists(pulumi)) {
      console.log("setting textslash:allowDataLoss=true: the VM's /data volume is guarded and destroy deletes it");
      const config = sandboxStackConfig(daemon.apiUrl, registryOf(daemon));
      await setStackConfig(paths, pulumi, { ...config, plain: { ...config.plain, "textslash:allowDataLoss": "true" } });
      const args = ["--yes", "--skip-preview", "--stack", SANDBOX_STACK, "--config-file", paths.stackConfig];
      // The guard reads allowDataLoss from the state, so an up records it before the destroy. A
      // broken stack may fail that up; the destroy is tried anyway (it may not need the guard).
      await pulumi.stream(["up", ...args]).catch((error: unknown) => console.error(`warning: ${(error as Error).message}; trying the destroy anyway`));
      await pulumi.stream(["destroy", ...args]).catch((error: unknown) => { destroyError = error as Error; });
      if (!destroyError) {
        const removed = await pruneVolumeDirs(daemon, paths);
        console.log(`the stack's resources are gone; its history stays in ${paths.pulumiBackend} and sandbox:up reuses it` +
          (removed.length > 0 ? `; removed the data of deleted volumes ${removed.join(", ")}` : ""));
      }
    } else {
      console.log(`no ${SANDBOX_STACK} stack in ${paths.pulumiBackend}: nothing to destroy`);
    }
  } else {
    console.log("the sandbox daemon is not running: skipping pulumi destroy (the local Fly API is gone with it)");
  }
  // Stop the daemon even when the destroy failed: no sandbox process may outlive sandbox:down.
  const { daemonPid, machinePids } = await stopDaemon({ paths, alsoCheck: machinePidsBefore });
  const checked = [...(daemonPid ? [daemonPid] : []), ...machinePids];
  console.log(`sandbox stopped; no sandbox process is left (checked pids: ${checked.length > 0 ? checked.join(", ") : "none were running"})`);
  if (destroyError) {
    throw new Error(`${destroyError.message}. The local Fly API state is kept in ${paths.flyApiState}; fix the cause and run npm run sandbox:up then sandbox:down again, or delete .sandbox/ to start over`);
  }
}

main().catch((error: unknown) => {
  console.error(`sandbox:down failed: ${(error as Error).message}`);
  process.exit(1);
});
