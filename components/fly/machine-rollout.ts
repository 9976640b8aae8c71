// Machine updates: under a lease (its nonce on every call), finished only when the machine runs
// the new version and its checks pass. A stopped/suspended machine that sleeps when idle (the VM)
// stays asleep (skip_launch) and its config is read back and compared instead; one meant to run all
// the time (the relay) is started by the update and verified.
import type { FlyClient, FlyMachine, MachineConfig, MachineEvent } from "./client";
import { configMatches, differingFields } from "./config-compare";

export const DEFAULT_ROLLOUT_TIMEOUT_MS = 180_000;

/**
 * How long a create or update may wait for `started` and passing checks. TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS
 * (read in the provider process at call time) shortens it, e.g. for tests of a failing check.
 */
export function rolloutTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env.TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS;
  if (raw === undefined || raw === "") return DEFAULT_ROLLOUT_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new Error(`TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 3600 (got "${raw}")`);
  }
  return seconds * 1000;
}
/**
 * Check polling: soon after the machine started (a check often passes within a second), then backing off to
 * once a second, well under Fly's read limit (about 5/s per app, bursts of 10; docs/fly-api.md, rate limits).
 */
const CHECK_POLL = { firstMs: 200, maxMs: 1_000 } as const;

export interface RolloutInput {
  appName: string;
  machineId: string;
  config: MachineConfig;
  minSecretsVersion?: number | undefined;
}

/** States of a machine that is running or on its way there. */
const COMING_UP = new Set(["created", "starting", "started", "replacing", "updating"]);
/** Crashes that a restart policy keeps restarting, after which a rollout stops waiting for the checks. */
const CRASH_LOOP_EXITS = 3;

/**
 * The events since the rollout began. Fly lists them newest first; `sinceEventId` is the newest event seen
 * before the rollout's own request (none for a new machine, whose events are all its own).
 */
function eventsSince(m: FlyMachine, sinceEventId: string | undefined): MachineEvent[] {
  const seen = sinceEventId === undefined ? -1 : m.events.findIndex((e) => e.id === sinceEventId);
  return seen === -1 ? m.events : m.events.slice(0, seen);
}

function describeExit(e: MachineEvent | undefined): string {
  if (e === undefined) return "it was stopped";
  const how = e.exitCode === undefined ? "was ended by a signal" : `exited with code ${e.exitCode}`;
  return e.requestedStop === true ? `it was stopped on request (Fly Proxy's autostop or a \`fly machine stop\`)` : `its process ${how}`;
}

/**
 * Why waiting for this machine's checks is pointless, or undefined while it may still pass them: it is no
 * longer running (its process exited and the restart policy let it stop), or it keeps crashing.
 */
export function rolloutFailure(m: FlyMachine, appName: string, sinceEventId?: string): string | undefined {
  const exits = eventsSince(m, sinceEventId).filter((e) => e.type === "exit");
  const logs = `its logs say why: \`fly logs -a ${appName} --machine ${m.id}\``;
  if (!COMING_UP.has(m.state)) return `machine ${m.id} of ${appName} is ${m.state} instead of passing its checks: ${describeExit(exits[0])}; ${logs}`;
  const crashes = exits.filter((e) => e.requestedStop === false && e.exitCode !== 0);
  if (crashes.length >= CRASH_LOOP_EXITS) {
    return `machine ${m.id} of ${appName} keeps crashing: ${crashes.length} exits since it was started, the last when ${describeExit(crashes[0])}; ${logs}`;
  }
  return undefined;
}

export async function waitForChecks(
  fly: FlyClient,
  appName: string,
  machineId: string,
  timeoutMs: number,
  sinceEventId?: string,
): Promise<FlyMachine> {
  const deadline = Date.now() + timeoutMs;
  for (let pauseMs: number = CHECK_POLL.firstMs; ; pauseMs = Math.min(pauseMs * 2, CHECK_POLL.maxMs)) {
    const m = await fly.machines.get(appName, machineId);
    const expected = Object.keys(m.config.checks ?? {});
    const failing = expected.filter((name) => m.checks.find((c) => c.name === name)?.status !== "passing");
    if (failing.length === 0 && m.state === "started") return m;
    const failure = rolloutFailure(m, appName, sinceEventId);
    if (failure !== undefined) throw new Error(failure);
    if (Date.now() > deadline) {
      const first = m.checks.find((c) => c.name === failing[0]);
      throw new Error(
        `machine ${machineId} of ${appName}: check "${failing[0] ?? "(none)"}" did not pass within ${Math.round(timeoutMs / 1000)}s ` +
          `(machine ${m.state}, check status ${first?.status ?? "not reported"}, last output: ${first?.output ?? "none"})`,
      );
    }
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

/**
 * Whether Fly Proxy puts this machine to sleep when idle (a service with autostop), so that finding it
 * stopped is normal and an update may leave it asleep. A machine meant to run all the time (the relay:
 * autostop off) that is found stopped, e.g. after a crash, is started by its update and verified instead.
 */
export function sleepsWhenIdle(config: MachineConfig): boolean {
  return (config.services ?? []).some((s) => s.autostopMachines !== undefined && s.autostopMachines !== "off");
}

export async function rolloutMachine(fly: FlyClient, input: RolloutInput): Promise<FlyMachine> {
  const { appName, machineId } = input;
  const timeoutMs = rolloutTimeoutMs();
  const lease = await fly.leases.acquire(appName, machineId, { ttlSeconds: Math.ceil(timeoutMs / 1000) + 60 });
  try {
    const current = await fly.machines.get(appName, machineId);
    const asleep = (current.state === "stopped" || current.state === "suspended") && sleepsWhenIdle(input.config);
    const updated = await fly.machines.update(
      appName,
      machineId,
      // The machine's current name, as flyctl sends it (internal/command/machine/update.go): an update never renames
      // a machine, even one taken over under another name than the stack's.
      { config: input.config, name: current.name, skipLaunch: asleep, minSecretsVersion: input.minSecretsVersion },
      { leaseNonce: lease.nonce },
    );
    if (asleep) {
      const readBack = await fly.machines.get(appName, machineId);
      if (!configMatches(input.config, readBack.config)) {
        throw new Error(
          `machine ${machineId} of ${appName} is ${current.state}; Fly accepted the update but its config reads back different ` +
            `in ${differingFields(input.config, readBack.config).join(", ")}`,
        );
      }
      return readBack;
    }
    await fly.machines.waitForState(appName, machineId, { state: "started", version: updated.instanceId, timeoutMs });
    return await waitForChecks(fly, appName, machineId, timeoutMs, current.events[0]?.id);
  } finally {
    await fly.leases.release(appName, machineId, lease.nonce).catch(() => undefined);
  }
}
