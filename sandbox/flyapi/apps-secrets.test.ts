import { afterEach, describe, expect, it } from "vitest";
import { closeHarness, flyErrorOf as errorOf, raw, RecordingHook, startHarness, type Harness } from "./test-helpers";

let h: Harness | undefined;
afterEach(async () => {
  await closeHarness(h);
  h = undefined;
});

describe("apps", () => {
  it("accepts name or app_name, validates names, refuses a taken name with 422, lists by org", async () => {
    h = await startHarness();
    const app = await h.fly.apps.create({ name: "first-app", orgSlug: "personal" });
    expect(app).toMatchObject({ name: "first-app", orgSlug: "personal" });
    const legacy = await raw(h.api, "POST", "/v1/apps", { body: { app_name: "second-app", org_slug: "other-org" } });
    expect(legacy.status).toBe(201);
    const taken = await errorOf(h.fly.apps.create({ name: "first-app", orgSlug: "personal" }));
    expect(taken.status).toBe(422);
    expect(taken.message).toContain('app name "first-app" is already taken');
    expect((await errorOf(h.fly.apps.create({ name: "Bad_Name", orgSlug: "personal" }))).status).toBe(422);
    expect((await errorOf(h.fly.apps.create({ name: "9lives", orgSlug: "personal" }))).status).toBe(422);
    expect((await errorOf(h.fly.apps.create({ name: `a${"b".repeat(63)}`, orgSlug: "personal" }))).status).toBe(422);
    const listed = await raw(h.api, "GET", "/v1/apps?org_slug=other-org");
    expect(listed.json).toMatchObject({ total_apps: 1, apps: [{ name: "second-app" }] });
    expect((await errorOf(h.fly.apps.get("missing-app"))).status).toBe(404);
    const noOrg = await raw(h.api, "POST", "/v1/apps", { body: { name: "orgless-app" } });
    expect(noOrg.status).toBe(400);
    expect(noOrg.text).toContain("org_slug");
    expect(h.api.requests().find((r) => r.method === "POST" && r.status === 201)).toMatchObject({ app: "first-app", operation: "Apps_create" });
  });

  it("deleting an app takes its machines (runtime destroyed), volumes, IPs and secrets with it", async () => {
    const hook = new RecordingHook();
    h = await startHarness({ runtime: hook });
    await h.fly.apps.create({ name: "doomed", orgSlug: "personal" });
    await h.fly.secrets.update("doomed", { API_KEY: "fake-api-key-value" });
    const vol = await h.fly.volumes.create("doomed", { name: "data", region: "ord", sizeGb: 1 });
    const m = await h.fly.machines.create("doomed", { region: "ord", config: { image: "demo:1", mounts: [{ volume: vol.id, path: "/data" }] } });
    await h.fly.machines.wait("doomed", m.id, { state: "started", timeoutSeconds: 5 });
    await h.fly.ips.create("doomed", { type: "shared_v4" });
    await h.fly.apps.create({ name: "survivor", orgSlug: "personal" });
    await h.fly.apps.delete("doomed");
    await h.fly.apps.waitUntilGone("doomed");
    expect(hook.calls).toContainEqual({ op: "destroy", id: m.id });
    const state = h.api.state();
    expect(state.apps).toEqual(["survivor"]);
    expect(state.machines).toEqual([]);
    expect(state.volumes).toEqual([]);
    expect(state.ips).toEqual([]);
    expect(Object.keys(state.secrets)).toEqual(["survivor"]);
    expect((await errorOf(h.fly.machines.get("doomed", m.id))).status).toBe(404);
    // The name is free again, with nothing left over.
    await h.fly.apps.create({ name: "doomed", orgSlug: "personal" });
    expect(await h.fly.secrets.list("doomed")).toEqual([]);
    expect(await h.fly.volumes.list("doomed")).toEqual([]);
  });
});

describe("apps are created and deleted asynchronously, as on Fly", () => {
  it("a create without ?wait=true is not readable at once; with it, the answer comes once the app exists", async () => {
    h = await startHarness({ appLifecycleMs: 2_000 });
    expect((await raw(h.api, "POST", "/v1/apps", { body: { name: "eager", org_slug: "personal" } })).status).toBe(201);
    expect((await raw(h.api, "GET", "/v1/apps/eager")).status).toBe(404);
    expect((await raw(h.api, "POST", "/v1/apps/eager/secrets", { body: { values: { A: "fake-a" } } })).status).toBe(404);
    expect((await raw(h.api, "POST", "/v1/apps?wait=true", { body: { name: "patient", org_slug: "personal" } })).status).toBe(201);
    expect((await raw(h.api, "GET", "/v1/apps/patient")).status).toBe(200);
  });

  it("a delete is accepted (202) and carried out afterwards: the name stays taken until the app is gone", async () => {
    h = await startHarness({ appLifecycleMs: 2_000 });
    await h.fly.apps.create({ name: "leaving", orgSlug: "personal" });
    expect((await raw(h.api, "DELETE", "/v1/apps/leaving")).status).toBe(202);
    expect((await raw(h.api, "GET", "/v1/apps/leaving")).status).toBe(200);
    expect((await raw(h.api, "POST", "/v1/apps?wait=true", { body: { name: "leaving", org_slug: "personal" } })).status).toBe(422);
    await h.fly.apps.waitUntilGone("leaving");
    expect((await raw(h.api, "GET", "/v1/apps/leaving")).status).toBe(404);
  });

  it("an app of another organization answers 403 to a read and keeps its name taken", async () => {
    h = await startHarness();
    h.api.addForeignApp("someone-elses");
    expect((await raw(h.api, "GET", "/v1/apps/someone-elses")).status).toBe(403);
    expect((await raw(h.api, "POST", "/v1/apps?wait=true", { body: { name: "someone-elses", org_slug: "personal" } })).status).toBe(422);
    expect(h.api.state().apps).toEqual([]);
  });
});

describe("secrets", () => {
  it("lists names and digests only, bumps the version, null unsets", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "sec-app", orgSlug: "personal" });
    const first = await h.fly.secrets.update("sec-app", { ALPHA: "fake-alpha-secret", BETA: "fake-beta-secret" });
    expect(first.version).toBe(1);
    const second = await h.fly.secrets.update("sec-app", { BETA: null });
    expect(second.version).toBe(2);
    const listed = await raw(h.api, "GET", "/v1/apps/sec-app/secrets");
    expect(listed.text).not.toContain("fake-alpha-secret");
    expect(listed.json).toMatchObject({ secrets: [{ name: "ALPHA", digest: expect.any(String) }] });
    expect(h.api.state().secrets["sec-app"]).toEqual({ names: ["ALPHA"], version: 2 });
  });

  it("machines get the values of their secrets version; min_secrets_version newer than the app's is 422", async () => {
    const hook = new RecordingHook();
    h = await startHarness({ runtime: hook });
    await h.fly.apps.create({ name: "sec-app", orgSlug: "personal" });
    const { version } = await h.fly.secrets.update("sec-app", { TOKEN_A: "fake-value-one" });
    const tooNew = await errorOf(h.fly.machines.create("sec-app", { config: { image: "demo:1" }, minSecretsVersion: version + 1 }));
    expect(tooNew.status).toBe(422);
    expect(tooNew.message).toContain("min_secrets_version");
    const m = await h.fly.machines.create("sec-app", {
      config: { image: "demo:1", env: { PLAIN: "x" }, checks: { web: { type: "http", port: 8080, path: "/healthz" }, tcp: { type: "tcp", port: 8080 } } },
      minSecretsVersion: version,
    });
    await h.fly.machines.wait("sec-app", m.id, { state: "started", timeoutSeconds: 5 });
    expect(hook.calls[0]).toEqual({
      op: "start",
      spec: { id: m.id, appName: "sec-app", image: "demo:1", env: { PLAIN: "x" }, secrets: { TOKEN_A: "fake-value-one" }, mounts: [], checks: [{ name: "web", path: "/healthz" }] },
    });
    // A new version reaches the machine only through an update.
    const next = await h.fly.secrets.update("sec-app", { TOKEN_A: "fake-value-two" });
    expect(h.api.state().machines[0]?.secretsVersion).toBe(version);
    const updated = await h.fly.machines.update("sec-app", m.id, { config: { image: "demo:1" }, minSecretsVersion: next.version });
    await h.fly.machines.wait("sec-app", m.id, { state: "started", version: updated.instanceId, timeoutSeconds: 5 });
    expect(hook.calls.at(-1)).toMatchObject({ op: "update", spec: { secrets: { TOKEN_A: "fake-value-two" } } });
    expect(h.api.state().machines[0]?.secretsVersion).toBe(next.version);
  });
});

describe("IP assignments", () => {
  it("assigns distinct plausible addresses per type and deletes them", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "ip-app", orgSlug: "personal" });
    const v4 = await h.fly.ips.create("ip-app", { type: "v4" });
    const v6 = await h.fly.ips.create("ip-app", { type: "v6" });
    const shared = await h.fly.ips.create("ip-app", { type: "shared_v4" });
    const flycast = await h.fly.ips.create("ip-app", { type: "private_v6", network: "default" });
    expect(v4.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(v6.ip).toMatch(/^2a09:/);
    expect(shared.ip).toMatch(/^66\.241\./);
    expect(flycast.ip).toMatch(/^fdaa:/);
    const listed = await h.fly.ips.list("ip-app");
    expect(listed.map((ip) => ip.type).sort()).toEqual(["private_v6", "shared_v4", "v4", "v6"]);
    await h.fly.ips.delete("ip-app", v6.ip);
    expect((await h.fly.ips.list("ip-app")).map((ip) => ip.ip)).not.toContain(v6.ip);
    expect((await errorOf(h.fly.ips.delete("ip-app", v6.ip))).status).toBe(404);
  });
});
