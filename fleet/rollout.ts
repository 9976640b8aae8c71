// `fleet rollout`: moves every user to the target images in waves. A canary wave goes first and any
// failure in it halts the rollout; later waves halt once failures pass the threshold. A user whose VM
// is working is not touched: it goes back in the queue and is asked again in a later wave, up to a
// number of rounds. Progress is written after every user, so a rollout run again after an interruption
// (same target) does not redo users already updated. No Pulumi here: the update and the activity check
// come in through `RolloutDeps`, so the policy is unit-tested and the engine test proves the wiring.
import { readFile, rename, writeFile } from "node:fs/promises";
import { z } from "zod";
import type { Activity } from "./activity";

export interface Images {
  relayImage: string;
  vmImage: string;
}

export interface RolloutOptions {
  /** Users updated at once in a wave after the canary wave. */
  waveSize: number;
  /** Users in the canary wave. */
  canary: number;
  /** The rollout halts when more users than this have failed. */
  maxFailures: number;
  /** Times a busy user is put back before it is reported as skipped. */
  busyRetries: number;
  /** Pause before a wave made only of users that were busy (they need time to finish). */
  busyPauseMs: number;
  progressFile: string;
}

export interface RolloutDeps {
  activity(userId: string): Promise<Activity>;
  /** Sets the user's images and runs `up`; rejects or returns an error text on failure. */
  update(userId: string, images: Images): Promise<{ ok: boolean; error?: string }>;
  /** One line per event, as it happens. */
  log(line: string): void;
  sleep?(ms: number): Promise<void>;
}

const entrySchema = z.object({
  status: z.enum(["updated", "failed", "skipped"]),
  why: z.string(),
  wave: z.number().int(),
  at: z.string(),
  ms: z.number().optional(),
});
const progressSchema = z.object({
  target: z.object({ relayImage: z.string(), vmImage: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  halted: z.string().optional(),
  users: z.record(z.string(), entrySchema),
});
export type RolloutProgress = z.infer<typeof progressSchema>;

export interface RolloutReport {
  target: Images;
  updated: string[];
  /** Already updated by an earlier, interrupted run of the same rollout. */
  alreadyUpdated: string[];
  skipped: { user: string; why: string }[];
  failed: { user: string; why: string }[];
  /** Not tried: the rollout halted first. */
  notAttempted: string[];
  halted?: string;
  waves: number;
  progressFile: string;
}

async function loadProgress(file: string, target: Images, log: (line: string) => void): Promise<RolloutProgress> {
  const fresh: RolloutProgress = { target, startedAt: new Date().toISOString(), users: {} };
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return fresh;
  }
  const parsed = progressSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a rollout progress file (${parsed.error.issues[0]?.message}); move it away to start a new rollout`);
  const old = parsed.data;
  if (old.target.relayImage !== target.relayImage || old.target.vmImage !== target.vmImage) {
    log(`progress: ${file} is of a rollout to other images; starting a new rollout`);
    return fresh;
  }
  const done = Object.values(old.users).filter((u) => u.status === "updated").length;
  log(`progress: resuming ${file}: ${done} user(s) already updated are not redone`);
  // Failed and skipped users are tried again: the run was started again to finish the rollout.
  return { ...old, halted: undefined, finishedAt: undefined, users: Object.fromEntries(Object.entries(old.users).filter(([, u]) => u.status === "updated")) };
}

async function saveProgress(file: string, progress: RolloutProgress): Promise<void> {
  // Written whole, then renamed: an interruption never leaves half a file.
  await writeFile(`${file}.tmp`, `${JSON.stringify(progress, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function rollout(users: string[], target: Images, options: RolloutOptions, deps: RolloutDeps): Promise<RolloutReport> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const progress = await loadProgress(options.progressFile, target, deps.log);
  const alreadyUpdated = users.filter((u) => progress.users[u]?.status === "updated");
  const queue = users.filter((u) => progress.users[u]?.status !== "updated").map((user) => ({ user, busyTimes: 0 }));
  const updatedNow: string[] = [];
  let failures = 0;
  let canaryLeft = Math.max(0, options.canary);
  let wave = 0;
  // Users of a wave finish at once: their saves go one after another (each writes the whole file).
  let saving = Promise.resolve();
  const save = () => (saving = saving.then(() => saveProgress(options.progressFile, progress)));
  const record = async (user: string, entry: Omit<RolloutProgress["users"][string], "at" | "wave">) => {
    progress.users[user] = { ...entry, wave, at: new Date().toISOString() };
    await save();
  };

  while (queue.length > 0 && progress.halted === undefined) {
    wave++;
    const canaryWave = canaryLeft > 0;
    const size = canaryWave ? canaryLeft : Math.max(1, options.waveSize);
    const members = queue.splice(0, size);
    if (members.every((m) => m.busyTimes > 0) && options.busyPauseMs > 0) {
      deps.log(`wave ${wave}: only users that were busy are left; waiting ${Math.round(options.busyPauseMs / 1000)}s first`);
      await sleep(options.busyPauseMs);
    }
    deps.log(`wave ${wave}${canaryWave ? " (canary)" : ""}: ${members.map((m) => m.user).join(", ")}`);
    let waveFailures = 0;
    await Promise.all(
      members.map(async (member) => {
        const { user } = member;
        const activity = await deps.activity(user).catch((err: unknown): Activity => ({ busy: true, why: `activity check failed: ${(err as Error).message}` }));
        if (activity.busy) {
          member.busyTimes++;
          if (member.busyTimes > options.busyRetries) {
            deps.log(`  ${user}: skipped, still busy after ${member.busyTimes} checks (${activity.why})`);
            await record(user, { status: "skipped", why: `busy at every check (${member.busyTimes}); last: ${activity.why}` });
          } else {
            deps.log(`  ${user}: busy (${activity.why}); retried in a later wave`);
            queue.push(member);
          }
          return;
        }
        if (canaryWave) canaryLeft--;
        const started = Date.now();
        const result = await deps.update(user, target).catch((err: unknown) => ({ ok: false, error: (err as Error).message }));
        const ms = Date.now() - started;
        if (result.ok) {
          updatedNow.push(user);
          deps.log(`  ${user}: updated in ${(ms / 1000).toFixed(1)}s (${activity.why} before)`);
          await record(user, { status: "updated", why: activity.why, ms });
        } else {
          failures++;
          waveFailures++;
          const why = result.error ?? "failed";
          deps.log(`  ${user}: FAILED after ${(ms / 1000).toFixed(1)}s: ${why.split("\n")[0]}`);
          await record(user, { status: "failed", why, ms });
        }
      }),
    );
    if (canaryWave && waveFailures > 0) progress.halted = `the canary wave failed (${waveFailures} of ${members.length}); no other user was touched`;
    else if (failures > options.maxFailures) progress.halted = `${failures} failure(s), more than --max-failures ${options.maxFailures}`;
    if (progress.halted !== undefined) deps.log(`halted: ${progress.halted}`);
  }
  progress.finishedAt = new Date().toISOString();
  await save();

  const entries = Object.entries(progress.users);
  return {
    target,
    updated: updatedNow,
    alreadyUpdated,
    skipped: entries.filter(([, e]) => e.status === "skipped").map(([user, e]) => ({ user, why: e.why })),
    failed: entries.filter(([, e]) => e.status === "failed").map(([user, e]) => ({ user, why: e.why })),
    notAttempted: users.filter((u) => progress.users[u] === undefined),
    ...(progress.halted !== undefined ? { halted: progress.halted } : {}),
    waves: wave,
    progressFile: options.progressFile,
  };
}
