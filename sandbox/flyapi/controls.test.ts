import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeHarness, flyErrorOf, raw, RecordingHook, startHarness, TOKEN, type Harness } from "./test-helpers";

let h: Harness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await closeHarness(h);
  h = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("auth", () => {
  it("answers 401 to no or a bad token and accepts Bearer, FlyV1 and Bearer FlyV1", async () => {
    h = await startHarness();
    const none = await raw(h.api, "GET", "/v1/apps", { token: null });
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ error: expect.any(String) });
    const bad = await raw(h.api, "GET", "/v1/apps", { token: "fake-wrong-token" });
    expect(bad.status).toBe(401);
    expect(bad.text).not.toContain("fake-wrong-token");
    for (const scheme of [`FlyV1 ${TOKEN}`, `Bearer FlyV1 ${TOKEN}`, `Bearer ${TOKEN}`]) {
      const ok = await raw(h.api, "GET", "/v1/apps?org_slug=personal", { token: null, headers: { authorization: scheme } });
      expect(ok.status).toBe(200);
    }
    expect((await raw(h.api, "GET", "/__sandbox/state", { token: null })).status).toBe(401);
    expect((await raw(h.api, "GET", "/v1/apps?org_slug=personal", { token: null, headers: { authorization: TOKEN } })).status).toBe(401);
  });

  it("keeps the token and secret values out of the request log, error bodies and server logs", async () => {
    h = await startHarness();
    const secretValue = "fake-secret-value-never-logged";
    await h.fly.apps.create({ name: "log-app", orgSlug: "personal" });
    await h.fly.secrets.update("log-app", { SECRET_ONE: secretValue });
    const bodies: string[] = [];
    bodies.push((await raw(h.api, "POST", "/v1/apps/log-app/secrets", { body: { values: { "bad name": secretValue } } })).text);
    bodies.push((await raw(h.api, "POST", "/v1/apps/log-app/secrets", { body: { values: { OK: 5 }, extra: secretValue } })).text);
    bodies.push((await raw(h.api, "GET", `/v1/apps/log-app/secrets?show_secrets=${secretValue}`)).text);
    bodies.push((await raw(h.api, "GET", `/v1/apps/log-app/machines?token=${TOKEN}`)).text);
    bodies.push((await raw(h.api, "GET", `/v1/apps/${TOKEN}`)).text);
    bodies.push((await raw(h.api, "POST", "/v1/apps", { body: { name: TOKEN, org_slug: "personal" } })).text);
    bodies.push((await raw(h.api, "POST", "/v1/apps/log-app/volumes", { body: { name: TOKEN, region: "ord", size_gb: 1 } })).text);
    bodies.push((await raw(h.api, "GET", "/v1/apps", { token: `${TOKEN}x` })).text);
    bodies.push((await raw(h.api, "GET", "/__sandbox/requests")).text);
    bodies.push((await raw(h.api, "GET", "/__sandbox/state")).text);
    const everything = [...bodies, JSON.stringify(h.api.requests()), ...h.logs].join("\n");
    expect(everything).not.toContain(secretValue);
    expect(everything).not.toContain(TOKEN);
    expect(h.api.requests().some((r) => r.path === "/v1/apps/log-app/secrets?show_secrets")).toBe(true);
  });
});

describe("request log", () => {
  it("records method, path, status, app and operation; writeCount counts non-GET API requests only", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "count-app", orgSlug: "personal" });
    await h.fly.apps.get("count-app");
    await raw(h.api, "POST", "/__sandbox/rate-limits", { body: { on: false } });
    expect(h.api.writeCount()).toBe(1);
    const entry = h.api.requests().find((r) => r.method === "GET" && r.path === "/v1/apps/count-app");
    expect(entry).toMatchObject({ status: 200, app: "count-app", operation: "Apps_show" });
    expect(entry?.durationMs).toBeGreaterThanOrEqual(0);
    const viaHttp = await raw(h.api, "GET", "/__sandbox/requests");
    expect((viaHttp.json as { requests: unknown[] }).requests.length).toBeGreaterThanOrEqual(3);
    await raw(h.api, "DELETE", "/__sandbox/requests");
    expect(h.api.requests().filter((r) => !r.path.startsWith("/__sandbox"))).toEqual([]);
    // The write count runs from the start: clearing the log does not reset it (callers diff it).
    expect(h.api.writeCount()).toBe(1);
  });
});

describe("rate limits", () => {
  it("are off by default and, when on, answer 429 with Retry-After past the burst", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "rl-app", orgSlug: "personal" });
    for (let i = 0; i < 6; i++) expect((await raw(h.api, "POST", "/v1/apps/rl-app/secrets", { body: { values: { K: "v" } } })).status).toBe(200);
    const on = await raw(h.api, "POST", "/__sandbox/rate-limits", { body: { on: true } });
    expect(on.status).toBe(200);
    // The burst always passes; past it, requests sent together outrun the refill (1/s) and some get 429.
    const burst: number[] = [];
    for (let i = 0; i < 3; i++) burst.push((await raw(h.api, "POST", "/v1/apps/rl-app/secrets", { body: { values: { K: "v" } } })).status);
    expect(burst).toEqual([200, 200, 200]);
    const api = h.api;
    const over = await Promise.all(Array.from({ length: 5 }, () => raw(api, "POST", "/v1/apps/rl-app/secrets", { body: { values: { K: "v" } } })));
    const limited = over.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited[0]?.json).toMatchObject({ error: expect.stringContaining("rate limited") });
    // Reads have their own, larger bucket (5/s, bursts of 10).
    const reads = await Promise.all(Array.from({ length: 30 }, () => raw(api, "GET", "/v1/apps/rl-app")));
    expect(reads.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(10);
    expect(reads.some((r) => r.status === 429)).toBe(true);
    h.api.setRateLimits(false);
    expect((await raw(h.api, "GET", "/v1/apps/rl-app")).status).toBe(200);
  });
});

describe("faults", () => {
  it("adds latency, injects seeded 5xx, keeps a named check critical, slows starts", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "fault-app", orgSlug: "personal" });
    h.api.setFaults({ latencyMs: 80 });
    const before = Date.now();
    await h.fly.apps.get("fault-app");
    expect(Date.now() - before).toBeGreaterThanOrEqual(75);

    h.api.setFaults({ errorRate: 0.5, seed: 42 });
    const first: number[] = [];
    for (let i = 0; i < 20; i++) first.push((await raw(h.api, "GET", "/v1/apps/fault-app")).status);
    expect(first).toContain(503);
    expect(first).toContain(200);
    h.api.setFaults({ errorRate: 0.5, seed: 42 });
    const again: number[] = [];
    for (let i = 0; i < 20; i++) again.push((await raw(h.api, "GET", "/v1/apps/fault-app")).status);
    expect(again).toEqual(first);

    // The machine must still be starting when read: 3 s for the create's answer and a few reads to this
    // process's own server (each tens of ms at load 4.5; 800 ms left a machine some 10 times slower short).
    const faults = await raw(h.api, "POST", "/__sandbox/faults", { body: { slowStartMs: 3000, failingChecks: { web: "connection refused" } } });
    expect(faults.status).toBe(200);
    const m = await h.fly.machines.create("fault-app", { config: { image: "demo:1", checks: { web: { type: "http", port: 8080, path: "/" }, db: { type: "tcp", port: 5432 } } } });
    let state = (await h.fly.machines.get("fault-app", m.id)).state;
    while (state === "created") state = (await h.fly.machines.get("fault-app", m.id)).state;
    expect(state).toBe("starting");
    await h.fly.machines.wait("fault-app", m.id, { state: "started", timeoutSeconds: 10 });
    const checks = (await h.fly.machines.get("fault-app", m.id)).checks;
    expect(checks).toContainEqual(expect.objectContaining({ name: "web", status: "critical", output: "connection refused" }));
    expect(checks).toContainEqual(expect.objectContaining({ name: "db", status: "passing" }));
    expect((await raw(h.api, "POST", "/__sandbox/faults", { body: { errorRate: 2 } })).status).toBe(400);
  });

  it("loseAnswers carries out the next requests of an operation but answers them 504, then answers again", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "lost-app", orgSlug: "personal" });
    const set = await raw(h.api, "POST", "/__sandbox/faults", { body: { loseAnswers: { Machines_create: 1 } } });
    expect(set.status).toBe(200);
    const lost = await flyErrorOf(h.fly.machines.create("lost-app", { name: "web", config: { image: "demo:1" } }));
    expect(lost.status).toBe(504);
    // Carried out all the same: the machine exists, and nobody was told its id.
    expect(h.api.state().machines.filter((m) => m.app === "lost-app")).toHaveLength(1);
    expect(h.logs).toContain("local Fly API: Machines_create carried out, its answer lost (loseAnswers fault)");
    const next = await h.fly.machines.create("lost-app", { name: "web-2", config: { image: "demo:1" } });
    expect(next.id).toMatch(/^[0-9a-f]{14}$/);
  });
});

describe("runtime hook", () => {
  it("gets start/stop/suspend/destroy calls; a failing start leaves the machine stopped, logged, server alive", async () => {
    const hook = new RecordingHook();
    hook.failStartImage = "broken:1";
    hook.checkResults = [{ name: "web", status: "warning", output: "slow", updatedAt: new Date(0).toISOString() }];
    h = await startHarness({ runtime: hook });
    await h.fly.apps.create({ name: "hook-app", orgSlug: "personal" });
    const broken = await h.fly.machines.create("hook-app", { config: { image: "broken:1" } });
    await h.fly.machines.wait("hook-app", broken.id, { state: "stopped", timeoutSeconds: 5 });
    const failed = await raw(h.api, "GET", `/v1/apps/hook-app/machines/${broken.id}/wait?state=failed&timeout=5`);
    expect(failed.json).toMatchObject({ ok: true, state: "stopped" });
    expect(h.logs.join("\n")).toContain("will not start");
    const m = await h.fly.machines.create("hook-app", { config: { image: "demo:1" } });
    await h.fly.machines.wait("hook-app", m.id, { state: "started", timeoutSeconds: 5 });
    expect((await h.fly.machines.get("hook-app", m.id)).checks).toEqual([{ name: "web", status: "warning", output: "slow", updatedAt: new Date(0).toISOString() }]);
    await h.fly.machines.suspend("hook-app", m.id);
    await h.fly.machines.wait("hook-app", m.id, { state: "suspended", timeoutSeconds: 5 });
    await h.fly.machines.start("hook-app", m.id);
    await h.fly.machines.wait("hook-app", m.id, { state: "started", timeoutSeconds: 5 });
    expect((await raw(h.api, "POST", `/v1/apps/hook-app/machines/${m.id}/restart`)).status).toBe(200);
    await h.fly.machines.wait("hook-app", m.id, { state: "started", timeoutSeconds: 5 });
    await h.fly.machines.stop("hook-app", m.id);
    await h.fly.machines.wait("hook-app", m.id, { state: "stopped", timeoutSeconds: 5 });
    await h.fly.machines.delete("hook-app", m.id);
    await h.fly.machines.wait("hook-app", m.id, { state: "destroyed", timeoutSeconds: 5 });
    const ops = hook.calls.filter((c) => ("spec" in c ? c.spec.id : c.id) === m.id).map((c) => c.op);
    expect(ops).toEqual(["start", "suspend", "start", "stop", "start", "stop", "destroy"]);
  });
});

describe("persistence", () => {
  it("survives a restart; started machines come back stopped without a runtime", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "flyapi-"));
    dirs.push(dir);
    const file = path.join(dir, "state.json");
    h = await startHarness({ persistPath: file });
    await h.fly.apps.create({ name: "keep-app", orgSlug: "personal" });
    await h.fly.secrets.update("keep-app", { KEEP: "fake-kept-value" });
    const vol = await h.fly.volumes.create("keep-app", { name: "data", region: "ord", sizeGb: 2 });
    const m = await h.fly.machines.create("keep-app", { region: "ord", config: { image: "demo:1", mounts: [{ volume: vol.id, path: "/data" }] } });
    await h.fly.machines.wait("keep-app", m.id, { state: "started", timeoutSeconds: 5 });
    await h.fly.ips.create("keep-app", { type: "v6" });
    expect(readFileSync(file, "utf8")).toContain("keep-app");
    await closeHarness(h);

    h = await startHarness({ persistPath: file });
    const state = h.api.state();
    expect(state.apps).toEqual(["keep-app"]);
    expect(state.machines).toEqual([expect.objectContaining({ id: m.id, state: "stopped" })]);
    expect(state.volumes).toEqual([expect.objectContaining({ id: vol.id, attachedMachineId: m.id, sizeGb: 2 })]);
    expect(state.ips).toHaveLength(1);
    expect(state.secrets["keep-app"]).toEqual({ names: ["KEEP"], version: 1 });
    await h.fly.machines.start("keep-app", m.id);
    await h.fly.machines.wait("keep-app", m.id, { state: "started", timeoutSeconds: 5 });
  });

  it("with a runtime, machines that were started are started again after a restart", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "flyapi-"));
    dirs.push(dir);
    const file = path.join(dir, "state.json");
    h = await startHarness({ persistPath: file });
    await h.fly.apps.create({ name: "keep-app", orgSlug: "personal" });
    const m = await h.fly.machines.create("keep-app", { config: { image: "demo:1" } });
    await h.fly.machines.wait("keep-app", m.id, { state: "started", timeoutSeconds: 5 });
    await closeHarness(h);
    const hook = new RecordingHook();
    h = await startHarness({ persistPath: file, runtime: hook });
    await h.fly.machines.wait("keep-app", m.id, { state: "started", timeoutSeconds: 5 });
    expect(hook.calls).toEqual([expect.objectContaining({ op: "start", spec: expect.objectContaining({ id: m.id }) })]);
  });

  it("refuses a state file that is not one", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "flyapi-"));
    dirs.push(dir);
    const file = path.join(dir, "state.json");
    writeFileSync(file, "{not json");
    await expect(startHarness({ persistPath: file })).rejects.toThrow(/not JSON.*delete it/);
  });

  it("writes its format into the file, reads one without it as format 1, and refuses a newer format by name", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "flyapi-"));
    dirs.push(dir);
    const file = path.join(dir, "state.json");
    h = await startHarness({ persistPath: file });
    await h.fly.apps.create({ name: "keep-app", orgSlug: "personal" });
    await closeHarness(h);
    h = undefined;
    const written = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(written["format"]).toBe(1);

    delete written["format"];
    writeFileSync(file, JSON.stringify(written));
    h = await startHarness({ persistPath: file });
    expect(h.api.state().apps).toEqual(["keep-app"]);
    await closeHarness(h);
    h = undefined;

    writeFileSync(file, JSON.stringify({ ...written, format: 2 }));
    await expect(startHarness({ persistPath: file })).rejects.toThrow(/has format 2, newer than this checkout reads \(1\).*delete the file/);
  });
});
