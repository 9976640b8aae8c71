// Growing a volume to the size the stack asks for, and finishing it: Fly may answer an extend with
// `needs_restart: true` ("your Machine needs to be restarted to make use of the added space", Fly docs
// machines/api/volumes-resource), in which case the attached machine is restarted under its lease and its
// checks waited for; if that fails, the error says exactly which command finishes the job.
import type { FlyClient } from "./client";
import { rolloutTimeoutMs, waitForChecks } from "./machine-rollout";

export async function extendVolume(fly: FlyClient, appName: string, volumeId: string, sizeGb: number): Promise<void> {
  const current = await fly.volumes.get(appName, volumeId);
  // Already that large (extended by an earlier up whose restart failed, or outside Pulumi): nothing to grow.
  if (current.sizeGb >= sizeGb) return;
  const { volume, needsRestart } = await fly.volumes.extend(appName, volumeId, sizeGb);
  if (!needsRestart || volume.attachedMachineId === null) return;
  const machineId = volume.attachedMachineId;
  const machine = await fly.machines.get(appName, machineId);
  // A machine that is not running mounts the volume at its new size when it next starts.
  if (machine.state !== "started") return;
  try {
    const timeoutMs = rolloutTimeoutMs();
    const lease = await fly.leases.acquire(appName, machineId, { ttlSeconds: Math.ceil(timeoutMs / 1000) + 60, description: "textslash: restart after volume extend" });
    try {
      await fly.machines.restart(appName, machineId, { leaseNonce: lease.nonce });
      await fly.machines.waitForState(appName, machineId, { state: "started", version: machine.instanceId, timeoutMs });
      await waitForChecks(fly, appName, machineId, timeoutMs, machine.events[0]?.id);
    } finally {
      await fly.leases.release(appName, machineId, lease.nonce).catch(() => undefined);
    }
  } catch (err) {
    throw new Error(
      `volume ${volumeId} of ${appName} now has ${sizeGb} GB, but Fly says machine ${machineId} must restart to use the space, and restarting it failed: ` +
        `${err instanceof Error ? err.message : String(err)}. Finish it with \`fly machine restart ${machineId} -a ${appName}\`.`,
    );
  }
}
