// The rollout's policy with a fake fleet: canary first, waves of N, busy users retried later, the
// failure threshold, and resuming from the progress file without redoing finished users.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rollout, type RolloutOptions } from "../../fleet/rollout";

const target = { relayImage: "r:2", vmImage: "v:2" };

/** A fake fleet: `busy` maps a user to how many checks they stay busy for; `failing` users' updates fail. */
function fakeFleet(opts: { busy?: Record<string, number>; failing?: string[]; interruptAfter?: number } = {}) {
  const busyLeft = { ...opts.busy };
  const calls: string[] = [];
  const log: string[] = [];
  let updates = 0;
  return {
    calls,
    log,
    deps: {
      log: (line: string) => log.push(line),
      sleep: async () => undefined,
      async activity(user: string) {
        calls.push(`check ${user}`);
        if ((busyLeft[user] ?? 0) > 0) {
          busyLeft[user]!--;
          return { busy: true, why: "working: 1 running, 0 queued" };
        }
        return { busy: false, why: "VM suspended" };
      },
      async update(user: string) {
        if (opts.interruptAfter !== undefined && updates >= opts.interruptAfter) throw new Error("interrupted");
        updates++;
        calls.push(`update ${user}`);
        return opts.failing?.includes(user) ? { ok: false, error: `${user}: check "health" did not pass` } : { ok: true };
      },
    },
  };
}

describe("fleet rollout policy", () => {
  let dir: string;
  let n = 0;
  const options = (over: Partial<RolloutOptions> = {}): RolloutOptions => ({
    waveSize: 2, canary: 1, maxFailures: 0, busyRetries: 2, busyPauseMs: 0, progressFile: join(dir, `progress-${++n}.json`), ...over,
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fleet-rollout-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("goes canary first, then waves of N, and asks every VM before updating it", async () => {
    const f = fakeFleet();
    const report = await rollout(["a", "b", "c", "d", "e"], target, options(), f.deps);
    expect(report).toMatchObject({ updated: ["a", "b", "c", "d", "e"], skipped: [], failed: [], notAttempted: [], waves: 3 });
    expect(f.log.filter((l) => l.startsWith("wave"))).toEqual(["wave 1 (canary): a", "wave 2: b, c", "wave 3: d, e"]);
    for (const u of ["a", "b", "c", "d", "e"]) expect(f.calls.indexOf(`check ${u}`)).toBeLessThan(f.calls.indexOf(`update ${u}`));
  });

  it("never updates a busy VM: it is retried in a later wave, and skipped when it stays busy", async () => {
    const f = fakeFleet({ busy: { b: 1, c: 99 } });
    const report = await rollout(["a", "b", "c", "d"], target, options(), f.deps);
    expect(report.updated).toEqual(["a", "d", "b"]);
    expect(report.skipped).toEqual([{ user: "c", why: "busy at every check (3); last: working: 1 running, 0 queued" }]);
    expect(f.calls).not.toContain("update c");
    expect(f.calls.filter((c) => c === "check c")).toHaveLength(3);
  });

  it("a failing canary halts everything; no one else is asked or updated", async () => {
    const f = fakeFleet({ failing: ["a"] });
    const report = await rollout(["a", "b", "c"], target, options({ maxFailures: 10 }), f.deps);
    expect(report.halted).toBe("the canary wave failed (1 of 1); no other user was touched");
    expect(report.failed).toEqual([{ user: "a", why: 'a: check "health" did not pass' }]);
    expect(report.notAttempted).toEqual(["b", "c"]);
    expect(f.calls).toEqual(["check a", "update a"]);
  });

  it("halts after the wave in which failures pass the threshold", async () => {
    const f = fakeFleet({ failing: ["b", "c"] });
    const report = await rollout(["a", "b", "c", "d", "e"], target, options({ maxFailures: 1 }), f.deps);
    expect(report.halted).toBe("2 failure(s), more than --max-failures 1");
    expect(report.updated).toEqual(["a"]);
    expect(report.notAttempted).toEqual(["d", "e"]);
  });

  it("resumes after an interruption without redoing finished users, from the progress file", async () => {
    const opts = options({ waveSize: 1 });
    const first = fakeFleet({ interruptAfter: 2 });
    await rollout(["a", "b", "c", "d"], target, opts, first.deps);
    const saved = JSON.parse(await readFile(opts.progressFile, "utf8")) as { users: Record<string, { status: string }> };
    expect(Object.entries(saved.users).map(([u, e]) => [u, e.status])).toEqual([["a", "updated"], ["b", "updated"], ["c", "failed"]]);

    const second = fakeFleet();
    const report = await rollout(["a", "b", "c", "d"], target, opts, second.deps);
    expect(report).toMatchObject({ alreadyUpdated: ["a", "b"], updated: ["c", "d"], failed: [] });
    expect(second.calls.filter((c) => c.startsWith("update"))).toEqual(["update c", "update d"]);
  });

  it("a progress file of another target starts a new rollout; a broken one is refused", async () => {
    const opts = options();
    await writeFile(opts.progressFile, JSON.stringify({ target: { relayImage: "r:1", vmImage: "v:1" }, startedAt: "x", users: { a: { status: "updated", why: "", wave: 1, at: "x" } } }));
    const f = fakeFleet();
    expect((await rollout(["a"], target, opts, f.deps)).updated).toEqual(["a"]);
    await writeFile(opts.progressFile, "{\"users\": 3}");
    await expect(rollout(["a"], target, opts, fakeFleet().deps)).rejects.toThrow(/is not a rollout progress file/);
  });
});
