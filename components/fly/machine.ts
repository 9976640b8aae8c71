// Exactly one machine of an app. Create takes over the app's existing machine when `adopt` is set (or one
// of its own name that an earlier up never recorded) and converges it with a rollout; updates go through
// rolloutMachine (lease, new version, checks).
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkWith } from "./check";
import { FlyApiError, isFlyNotFound, type FlyClient, type FlyMachine as FlyMachineState, type MachineConfig } from "./client";
import { flyConnection, ignoreNotFound } from "./connection";
import { diffByTable, machineDiffTable } from "./diff";
import { configMatches, ownedView } from "./config-compare";
import { firstInFreshApp } from "./fresh-apps";
import { rolloutMachine, rolloutTimeoutMs, waitForChecks } from "./machine-rollout";

const inputsSchema = z.object({
  appName: z.string().min(1),
  name: z.string().min(1),
  region: z.string().min(1),
  config: z.looseObject({ image: z.string().min(1) }),
  volumeId: z.string().optional(),
  secretsVersion: z.number().int().optional(),
  adopt: z.boolean(),
  providerVersion: z.number(),
});
type MachineInputs = Omit<z.infer<typeof inputsSchema>, "config"> & { config: MachineConfig };

/**
 * A machine that exists but did not come up (not started, or a check failing): the error carries
 * its id and outputs, so the engine records it as an initialization failure and the next up
 * updates that machine (instead of creating a second one nobody tracks, after a create; instead of
 * believing the old config still runs, after an update).
 */
export function keepFailedMachine(err: unknown, id: string, outs: Record<string, unknown>): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  return Object.assign(e, { id, properties: outs, reasons: [e.message] });
}

/**
 * The machine a create converges instead of making a new one: with `adopt`, the app's only machine (made by
 * the shell script or `fly deploy`); otherwise one carrying this machine's name, which an earlier up created
 * but never recorded (its create's answer was lost, or the provider stopped before the engine saved it).
 * Taking it over avoids both a name conflict on every later up and an orphan that holds the volume.
 */
async function machineToTakeOver(fly: FlyClient, inputs: MachineInputs): Promise<FlyMachineState | undefined> {
  const machines = (await fly.machines.list(inputs.appName)).filter((m) => m.state !== "destroyed" && m.state !== "destroying");
  if (!inputs.adopt) return machines.find((m) => m.name === inputs.name);
  if (machines.length > 1) {
    throw new Error(
      `${inputs.appName} has ${machines.length} machines (${machines.map((m) => m.id).join(", ")}); adoption expects exactly one. ` +
        `Keep the one with the volume and remove the others (\`fly scale count 1 -a ${inputs.appName}\`), then run \`pulumi up\` again.`,
    );
  }
  return machines[0];
}

/** Converges a machine found in place of a new one with a rollout; a failure keeps its id (keepFailedMachine). */
async function takeOver(fly: FlyClient, inputs: MachineInputs, found: FlyMachineState) {
  const outs = { ...inputs, machineId: found.id };
  try {
    await rolloutMachine(fly, { appName: inputs.appName, machineId: found.id, config: inputs.config, minSecretsVersion: inputs.secretsVersion });
  } catch (err) {
    throw keepFailedMachine(err, found.id, outs);
  }
  return { id: found.id, outs };
}

const conn = flyConnection();
export const machineProvider: pulumi.dynamic.ResourceProvider<MachineInputs> = {
  configure: conn.configure,
  check: async (_olds, news) => checkWith(inputsSchema, news) as pulumi.dynamic.CheckResult<MachineInputs>,
  diff: async (_id, olds, news) => {
    // `adopt` only matters when the machine is created: a change of it alone (textslash:adoptExisting set
    // back to false after a takeover) must not update, which would restart the machine for nothing.
    const { machineId: _m, state: _s, adopt: _a, ...o } = olds as MachineInputs & { machineId?: string; state?: string };
    const { adopt: _b, ...n } = news;
    const d = diffByTable(machineDiffTable, o, n);
    return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: true };
  },
  create: async (inputs) => {
    const fly = conn.client();
    // An app this process just created holds no machine (fresh-apps.ts): nothing to list, nothing to take over.
    const found = firstInFreshApp(inputs.appName, `machine:${inputs.name}`) ? undefined : await machineToTakeOver(fly, inputs);
    if (found) return takeOver(fly, inputs, found);
    let m: FlyMachineState;
    try {
      m = await fly.machines.create(inputs.appName, {
        name: inputs.name,
        region: inputs.region,
        config: inputs.config,
        minSecretsVersion: inputs.secretsVersion,
      });
    } catch (err) {
      // Names are unique in an app (OpenAPI CreateMachineRequest.name: "Unique name for this Machine"): a refusal
      // may mean one of this name appeared since (made by someone else in the meantime). Take it over if so.
      if (!(err instanceof FlyApiError) || (err.status !== 409 && err.status !== 422)) throw err;
      const named = await machineToTakeOver(fly, { ...inputs, adopt: false });
      if (named === undefined) throw err;
      return takeOver(fly, inputs, named);
    }
    const outs = { ...inputs, machineId: m.id };
    try {
      const timeoutMs = rolloutTimeoutMs();
      await fly.machines.waitForState(inputs.appName, m.id, { state: "started", version: m.instanceId, timeoutMs });
      await waitForChecks(fly, inputs.appName, m.id, timeoutMs);
    } catch (err) {
      throw keepFailedMachine(err, m.id, outs);
    }
    return { id: m.id, outs };
  },
  read: async (id, props) => {
    try {
      const m = await conn.client().machines.get(props.appName, id);
      if (m.state === "destroyed") return {};
      // Only the fields the program sets count: Fly's echo adds to them (mount name/size/encryption, defaults).
      // Changed outside Pulumi (e.g. `fly machine update`): record what runs, in the program's shape, so the
      // next up's diff sees exactly the difference and rolls the stack's config out again.
      if (configMatches(props.config, m.config)) return { id, props };
      return { id, props: { ...props, config: { ...props.config, ...ownedView(props.config, m.config) } } };
    } catch (err) {
      if (isFlyNotFound(err)) return {}; // gone behind Pulumi's back: refresh drops it, the next up recreates it
      throw err;
    }
  },
  update: async (id, _olds, news) => {
    const outs = { ...news, machineId: id };
    try {
      await rolloutMachine(conn.client(), { appName: news.appName, machineId: id, config: news.config, minSecretsVersion: news.secretsVersion });
    } catch (err) {
      // Fly may already run the new config. Recording it (as an initialization failure) keeps the
      // state truthful: the next up retries it, or rolls back to the old config if the stack reverts,
      // where keeping the old outputs would make a revert look like "no changes" and leave it broken.
      throw keepFailedMachine(err, id, outs);
    }
    return { outs };
  },
  delete: async (id, props) => {
    const fly = conn.client();
    await ignoreNotFound(() => fly.machines.delete(props.appName, id, { force: true }));
    // A volume stays attached until its machine is destroyed: wait, so deleting the volume next works.
    await ignoreNotFound(() => fly.machines.waitForState(props.appName, id, { state: "destroyed", timeoutMs: 60_000 }));
  },
};
