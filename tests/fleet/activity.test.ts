// Whether a VM is working, as the rollout asks it: asleep is idle and never woken; a started VM is
// asked for its /health by exec; anything unreadable counts as busy.
import { describe, expect, it } from "vitest";
import type { ExecResult, FlyMachine } from "../../components/fly/client";
import { ExecHealthActivity, HEALTH_COMMAND } from "../../fleet/activity";

function fakeFly(machines: Partial<FlyMachine>[] | Error, exec: ExecResult | Error = { exitCode: 0, stdout: "{}", stderr: "" }) {
  const execs: string[][] = [];
  const fly = {
    machines: {
      list: async () => {
        if (machines instanceof Error) throw machines;
        return machines as FlyMachine[];
      },
      exec: async (_app: string, id: string, input: { command: string[] }) => {
        execs.push([id, ...input.command]);
        if (exec instanceof Error) throw exec;
        return exec;
      },
    },
  };
  return { fly: fly as unknown as ConstructorParameters<typeof ExecHealthActivity>[0], execs };
}

const health = (running: number, queued: number): ExecResult => ({ exitCode: 0, stdout: JSON.stringify({ ok: true, running, queued }), stderr: "" });

describe("a VM's activity", () => {
  it("a suspended or stopped VM is idle, and is not asked (that would wake nothing, but costs a call)", async () => {
    for (const state of ["suspended", "stopped"]) {
      const f = fakeFly([{ id: "m1", state }]);
      expect(await new ExecHealthActivity(f.fly).of("a-vm")).toEqual({ busy: false, why: `VM ${state}` });
      expect(f.execs).toEqual([]);
    }
  });

  it("a started VM is asked for its /health inside the machine; running or queued work is busy", async () => {
    const idle = fakeFly([{ id: "m1", state: "destroyed" }, { id: "m2", state: "started" }], health(0, 0));
    expect(await new ExecHealthActivity(idle.fly).of("a-vm")).toEqual({ busy: false, why: "VM started, nothing running or queued" });
    expect(idle.execs).toEqual([["m2", ...HEALTH_COMMAND]]);
    expect(await new ExecHealthActivity(fakeFly([{ id: "m2", state: "started" }], health(1, 0)).fly).of("a-vm")).toEqual({ busy: true, why: "working: 1 running, 0 queued" });
    expect(await new ExecHealthActivity(fakeFly([{ id: "m2", state: "started" }], health(0, 2)).fly).of("a-vm")).toEqual({ busy: true, why: "working: 0 running, 2 queued" });
  });

  it("anything it cannot read counts as busy: a rollout never restarts a VM it did not see idle", async () => {
    const started = [{ id: "m2", state: "started" }];
    const cases: [ReturnType<typeof fakeFly>, RegExp][] = [
      [fakeFly(started, { exitCode: 1, stdout: "", stderr: "TypeError: fetch failed" }), /could not be read \(exit 1: TypeError: fetch failed\)/],
      [fakeFly(started, { exitCode: 0, stdout: "{\"ok\":true}", stderr: "" }), /answered something else/],
      [fakeFly(started, new Error("Fly API POST /apps/a-vm/machines/m2/exec answered 500: boom")), /could not be read/],
      [fakeFly([{ id: "m2", state: "replacing" }]), /VM is replacing; asked again in a later wave/],
    ];
    for (const [f, why] of cases) {
      const activity = await new ExecHealthActivity(f.fly).of("a-vm");
      expect(activity.busy).toBe(true);
      expect(activity.why).toMatch(why);
    }
  });
});
