// Machine updates: under a lease (its nonce on every call), finished only when the machine runs
// the new version and its checks pass. A stopped/suspended machine stays asleep (skip_launch) and
// its config is read back and compared instead.
import type { FlyClient, FlyMachine, MachineConfig } from "./client";
import { jsonEqual } from "./diff";

export const ROLLOUT_TIMEOUT_MS = 180_000;
const CHECK_POLL_MS = 2_000;

export interface RolloutInput {
  appName: string;
  machineId: string;
  name: string;
  config: MachineConfig;
  minSecretsVersion?: number | undefined;
}

export async function waitForChecks(fly: FlyClient, appName: string, machineId: string, timeoutMs: number): Promise<FlyMachine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await fly.machines.get(appName, machineId);
    const expected = Object.keys(m.config.checks ?? {});
    const failing = expected.filter((name) => m.checks.find((c) => c.name === name)?.status !== "passing");
    if (failing.length === 0) return m;
    if (Date.now() > deadline) {
      const first = m.checks.find((c) => c.name === failing[0]);
      throw new Error(
        `machine ${machineId} of ${appName}: check "${failing[0]}" did not pass within ${Math.round(timeoutMs / 1000)}s ` +
          `(status ${first?.status ?? "not reported"}, last output: ${first?.output ?? "none"})`,
      );
    }
    await new Promise((r) => setTimeout(r, CHECK_POLL_MS));
  }
}

/** The config fields we own, compared after a skip_launch update. */
export function configMatches(want: MachineConfig, got: MachineConfig): boolean {
  return (["image", "env", "guest", "services", "checks", "mounts"] as const).every((k) => jsonEqual(want[k] ?? undefined, got[k] ?? undefined));
}

export async function rolloutMachine(fly: FlyClient, input: RolloutInput): Promise<FlyMachine> {
  const { appName, machineId } = input;
  const lease = await fly.leases.acquire(appName, machineId, { ttlSeconds: Math.ceil(ROLLOUT_TIMEOUT_MS / 1000) });
  try {
    const current = await fly.machines.get(appName, machineId);
    const asleep = current.state === "stopped" || current.state === "suspended";
    const updated = await fly.machines.update(
      appName,
      machineId,
      { config: input.config, name: input.name, skipLaunch: asleep, minSecretsVersion: input.minSecretsVersion },
      { leaseNonce: lease.nonce },
    );
    if (asleep) {
      const readBack = await fly.machines.get(appName, machineId);
      if (!configMatches(input.config, readBack.config)) {
        throw new Error(`machine ${machineId} of ${appName} is ${current.state}; Fly accepted the update but its config reads back different`);
      }
      return readBack;
    }
    await fly.machines.waitForState(appName, machineId, { state: "started", instanceId: updated.instanceId, timeoutMs: ROLLOUT_TIMEOUT_MS });
    return await waitForChecks(fly, appName, machineId, ROLLOUT_TIMEOUT_MS);
  } finally {
    await fly.leases.release(appName, machineId, lease.nonce).catch(() => undefined);
  }
}
