// Machines_exec in the local Fly API: the body and answer of the OpenAPI document, a responder standing in
// for the machine's process, "not found" without one, and a stopped machine refused.
import { afterEach, describe, expect, it } from "vitest";
import { FlyApiError } from "../../components/fly/client";
import { closeHarness, startHarness, type Harness } from "./test-helpers";

let h: Harness | undefined;
afterEach(async () => {
  await closeHarness(h);
  h = undefined;
});

describe("exec", () => {
  it("runs a command in a started machine through the responder, answering flydv1.ExecResponse", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "exec-app", orgSlug: "personal" });
    const m = await h.fly.machines.create("exec-app", { config: { image: "demo:1" } });
    await h.fly.machines.waitForState("exec-app", m.id, { state: "started", timeoutMs: 10_000 });

    const notFound = await h.fly.machines.exec("exec-app", m.id, { command: ["cat", "/etc/hostname"] });
    expect(notFound).toMatchObject({ exitCode: 127, stdout: "" });
    expect(notFound.stderr).toContain("cat: not found");

    const seen: string[][] = [];
    h.api.setExecResponder((machine, command) => {
      seen.push([machine.id, machine.app, machine.image, ...command]);
      return { stdout: "exec-app-host\n" };
    });
    expect(await h.fly.machines.exec("exec-app", m.id, { command: ["cat", "/etc/hostname"], timeoutSeconds: 5 })).toEqual({ exitCode: 0, stdout: "exec-app-host\n", stderr: "" });
    expect(seen).toEqual([[m.id, "exec-app", "demo:1", "cat", "/etc/hostname"]]);
    expect(h.api.requests().filter((r) => r.path.endsWith("/exec")).map((r) => [r.method, r.operation, r.status])).toEqual([
      ["POST", "Machines_exec", 200],
      ["POST", "Machines_exec", 200],
    ]);
  });

  it("refuses a machine that is not started, and a body without a command", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "exec-app", orgSlug: "personal" });
    const m = await h.fly.machines.create("exec-app", { config: { image: "demo:1" }, skipLaunch: true });
    h.api.setExecResponder(() => ({ stdout: "never" }));
    const stopped = await h.fly.machines.exec("exec-app", m.id, { command: ["true"] }).catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(FlyApiError);
    expect((stopped as FlyApiError).status).toBe(412);
    const empty = await h.fly.machines.exec("exec-app", m.id, { command: [] }).catch((e: unknown) => e);
    expect((empty as FlyApiError).status).toBe(400);
  });
});
