// The fleet's commands on top of the engine: converge every declared user, remove one user, roll
// images out. Each prints progress through `log` and returns a report the CLI prints and saves as JSON.
import { FlyClient } from "../components/fly/client";
import { ExecHealthActivity, type VmActivity } from "./activity";
import { FleetEngine } from "./engine";
import { pinToDigest } from "./digest";
import { rollout, type Images, type RolloutOptions, type RolloutReport } from "./rollout";
import { stackNameOf, type FleetFile, type SecretsFile } from "./schema";
import { desiredConfig } from "./stack-config";
import { pool } from "./pool";

export interface FleetContext {
  engine: FleetEngine;
  fleet: FleetFile;
  secrets: SecretsFile;
  /** Where the secrets came from, for error messages (never the values). */
  secretsFile?: string;
  log(line: string): void;
  /** Stacks run at once (each a `pulumi` engine process with its provider plugins; the program runs inline in this process). */
  concurrency: number;
}

export interface UpReport {
  users: { user: string; stack: string; ok: boolean; configChanged: number; changes: Record<string, number>; ms: number; error?: string }[];
  /** Stacks of this fleet whose user is no longer declared: left alone (`fleet remove` destroys). */
  undeclared: string[];
}

/** The Fly API for reads the fleet makes itself (activity, status): the same URL and token the stacks use. */
export function flyClientFor(ctx: Pick<FleetContext, "engine" | "fleet">): FlyClient {
  const env = ctx.engine.runtime.env;
  return new FlyClient({ config: { apiUrl: env.FLY_API_URL || ctx.fleet.shared.flyApiUrl || undefined, apiToken: env.FLY_API_TOKEN || undefined } });
}

/** The fleet file's images, each pinned to the digest its tag names now (fleet/digest.ts, pinToDigest). */
export async function pinnedImages(shared: FleetFile["shared"], log: (line: string) => void, already: Partial<Images> = {}): Promise<Images> {
  const { relayImage, vmImage, imageRegistry } = shared;
  const pin = (ref: string, pinned: string | undefined) => (pinned !== undefined ? Promise.resolve(pinned) : pinToDigest(ref, imageRegistry, log));
  const [relay, vm] = await Promise.all([pin(relayImage, already.relayImage), pin(vmImage, already.vmImage)]);
  return { relayImage: relay, vmImage: vm };
}

/** Converges one user's stack: config from the declared fleet, then `up`. `images` are a new stack's. */
async function upUser(ctx: FleetContext, userId: string, images: () => Promise<Images>): Promise<UpReport["users"][number]> {
  const user = ctx.fleet.users.find((u) => u.id === userId);
  if (!user) throw new Error(`user ${userId} is not declared in the fleet file; add it with \`fleet add ${userId} --numbers +1555...\``);
  const stackName = stackNameOf(ctx.fleet.fleet, user.id);
  const started = Date.now();
  try {
    const stack = await ctx.engine.stack(stackName);
    const current = (await ctx.engine.config(stackName)).plain;
    // A stack keeps the images it runs (they move only by rollout); a new one starts on the declared ones, pinned.
    const keeps = { relayImage: current["textslash:relayImage"], vmImage: current["textslash:vmImage"] };
    const declared = keeps.relayImage && keeps.vmImage ? keeps : await images();
    const desired = desiredConfig(ctx.fleet, user, ctx.secrets, {
      relayImage: keeps.relayImage || declared.relayImage,
      vmImage: keeps.vmImage || declared.vmImage,
    });
    const configChanged = await ctx.engine.applyConfig(stack, ctx.fleet, user.id, desired, ctx.secretsFile);
    const run = await ctx.engine.up(stack);
    const line = run.ok ? `up ${summary(run.changes)} in ${(run.ms / 1000).toFixed(1)}s` : `up FAILED: ${run.error?.split("\n")[0]}`;
    ctx.log(`  ${user.id}: ${line}`);
    return { user: user.id, stack: stackName, ok: run.ok, configChanged, changes: run.changes, ms: Date.now() - started, ...(run.error ? { error: run.error } : {}) };
  } catch (err) {
    const error = (err as Error).message;
    ctx.log(`  ${user.id}: FAILED: ${error.split("\n")[0]}`);
    return { user: user.id, stack: stackName, ok: false, configChanged: 0, changes: {}, ms: Date.now() - started, error };
  }
}

function summary(changes: Record<string, number>): string {
  const moved = Object.entries(changes).filter(([op, n]) => op !== "same" && n > 0);
  return moved.length === 0 ? "(no changes)" : moved.map(([op, n]) => `${n} ${op}`).join(", ");
}

export async function fleetUp(ctx: FleetContext, only?: string[]): Promise<UpReport> {
  const ids = only ?? ctx.fleet.users.map((u) => u.id);
  ctx.log(`fleet ${ctx.fleet.fleet}: converging ${ids.length} user(s), ${ctx.concurrency} at a time`);
  // Resolved once, on the first new stack: every user this run starts runs the same images.
  let pinned: Promise<Images> | undefined;
  const images = () => (pinned ??= pinnedImages(ctx.fleet.shared, ctx.log));
  const users = await pool(ids, ctx.concurrency, (id) => upUser(ctx, id, images));
  const declared = new Set(ctx.fleet.users.map((u) => stackNameOf(ctx.fleet.fleet, u.id)));
  const undeclared = (await ctx.engine.stackNames()).filter((s) => s.startsWith(`${ctx.fleet.fleet}-`) && !declared.has(s));
  for (const s of undeclared) ctx.log(`  ${s}: not declared any more; left alone (\`fleet remove\` destroys a user)`);
  return { users, undeclared };
}

export interface RemoveReport {
  user: string;
  stack: string;
  removed: boolean;
  why: string;
}

/**
 * Destroys a user's apps, volume and secrets and removes the stack. /data is the user's work: without
 * consent (`allowDataLoss: true` on the user, or --allow-data-loss) nothing is called at all. With it,
 * the stack first records allowDataLoss (the program's DataLossGuard reads it from the state), then
 * destroys; the guard still stands in the way of a destroy that did not record it.
 */
export async function fleetRemove(ctx: FleetContext, userId: string, allowDataLoss: boolean): Promise<RemoveReport> {
  const stackName = stackNameOf(ctx.fleet.fleet, userId);
  const declared = ctx.fleet.users.find((u) => u.id === userId);
  const consent = allowDataLoss || declared?.allowDataLoss === true;
  const stack = await ctx.engine.existing(stackName);
  if (!stack) return { user: userId, stack: stackName, removed: false, why: `no stack ${stackName}: nothing to remove` };
  if (!consent) {
    return {
      user: userId,
      stack: stackName,
      removed: false,
      why:
        `refused: removing ${userId} deletes volume vm_data of ${stackName}-vm, the user's /data (their work). ` +
        `Nothing was changed. To go ahead, set allowDataLoss: true on the user in the fleet file, or pass --allow-data-loss.`,
    };
  }
  ctx.log(`${userId}: recording consent to lose /data (textslash:allowDataLoss true), then destroying ${stackName}`);
  await stack.setConfig("textslash:allowDataLoss", { value: "true" });
  const up = await ctx.engine.up(stack);
  if (!up.ok) return { user: userId, stack: stackName, removed: false, why: `the up that records allowDataLoss failed: ${up.error}` };
  const destroyed = await ctx.engine.destroy(stack);
  if (!destroyed.ok) return { user: userId, stack: stackName, removed: false, why: `destroy failed: ${destroyed.error}` };
  await ctx.engine.removeStack(stack);
  return { user: userId, stack: stackName, removed: true, why: `destroyed ${summary(destroyed.changes)}; stack removed` };
}

export interface RolloutRun extends RolloutOptions {
  /** Default: the machines API behind ExecHealthActivity. */
  activity?: VmActivity;
  /** Declared images already pinned (`rollout --image` pins the new one before writing the file); the rest are pinned here. */
  pinned?: Partial<Images>;
}

export async function fleetRollout(ctx: FleetContext, options: RolloutRun): Promise<RolloutReport> {
  const activity = options.activity ?? new ExecHealthActivity(flyClientFor(ctx));
  const target = await pinnedImages(ctx.fleet.shared, ctx.log, options.pinned);
  ctx.log(`fleet ${ctx.fleet.fleet}: rolling out relay ${target.relayImage}, vm ${target.vmImage}`);
  return rollout(ctx.fleet.users.map((u) => u.id), target, options, {
    log: ctx.log,
    activity: (userId) => activity.of(`${stackNameOf(ctx.fleet.fleet, userId)}-vm`),
    async update(userId, images) {
      const stack = await ctx.engine.existing(stackNameOf(ctx.fleet.fleet, userId));
      if (!stack) return { ok: false, error: `no stack for ${userId} yet: run \`fleet up\` first` };
      // Plain values: written to the stack's file, as `pulumi config set` would, without a CLI run.
      await ctx.engine.setPlainConfig(stack.name, { "textslash:relayImage": images.relayImage, "textslash:vmImage": images.vmImage });
      const run = await ctx.engine.up(stack);
      return run.ok ? { ok: true } : { ok: false, error: run.error ?? "up failed" };
    },
  });
}
