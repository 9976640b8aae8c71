// The Fly client against the local Fly API, with every request and response checked against Fly's OpenAPI
// document (requests in "client forms" mode), plus the Fly behaviours the pair must reproduce: lease
// conflicts, wait timeouts, app deletion taking its children, bounded retries under faults, no token in logs.
import { afterAll, describe, expect, it } from "vitest";
import type { MachineConfig } from "../../components/fly/client";
import { FLY_TOKEN, flyFailure, settle, startConformance, type Conformance } from "./conformance-harness";

// Started once for the file. Each test awaits it, so without Fly's OpenAPI document every test FAILS with the
// loader's instructions (a failing beforeAll would only mark them skipped).
const started = startConformance();
started.catch(() => undefined); // reported by each test, not as an unhandled rejection
let c: Conformance;
afterAll(async () => {
  await (await started.catch(() => undefined))?.close();
});

const ORG = "personal";

function machineConfig(volumeId?: string): MachineConfig {
  return {
    image: "registry.example/conformance:v1",
    env: { MODE: "conformance" },
    guest: { cpuKind: "shared", cpus: 1, memoryMb: 256 },
    services: [
      {
        protocol: "tcp",
        internalPort: 8080,
        ports: [{ port: 80, handlers: ["http"] }],
        autostopMachines: "suspend",
        autostartMachines: true,
        minMachinesRunning: 0,
      },
    ],
    checks: { health: { type: "http", port: 8080, path: "/healthz", interval: "15s", timeout: "5s" } },
    ...(volumeId === undefined ? {} : { mounts: [{ volume: volumeId, path: "/data" }] }),
    restart: { policy: "on-failure", maxRetries: 3 },
    metadata: { role: "conformance" },
  };
}

describe("the whole client surface conforms to the document", () => {
  it("apps create/get/delete and secrets list/update (null unsets)", async () => {
    c = await started;
    const { fly, checked } = c.client();
    const app = "conf-apps";
    const created = await fly.apps.create({ name: app, orgSlug: ORG });
    expect(created.name).toBe(app);
    expect((await fly.apps.get(app)).name).toBe(app);

    const v1 = await fly.secrets.update(app, { API_KEY: "fake-api-key", OTHER: "fake-other" });
    const v2 = await fly.secrets.update(app, { OTHER: null });
    expect(v2.version).toBeGreaterThan(v1.version);
    expect((await fly.secrets.list(app)).map((s) => s.name)).toEqual(["API_KEY"]);

    await fly.apps.delete(app);
    expect((await flyFailure(fly.apps.get(app))).status).toBe(404);
    expect([...checked.operations()].sort()).toEqual(["Apps_create", "Apps_delete", "Apps_show", "Secrets_list", "Secrets_update"]);
    c.expectConformant();
  });

  it("machines create/get/list/update/start/stop/suspend/wait/delete with lease acquire/refresh/release", async () => {
    c = await started;
    const { fly, checked } = c.client();
    const app = "conf-machines";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const { version } = await fly.secrets.update(app, { API_KEY: "fake-api-key" });

    const machine = await fly.machines.create(app, { config: machineConfig(), region: "iad", minSecretsVersion: version });
    await fly.machines.waitForState(app, machine.id, { state: "started", timeoutMs: 30_000 });
    expect((await fly.machines.get(app, machine.id)).state).toBe("started");
    expect((await fly.machines.list(app)).map((m) => m.id)).toEqual([machine.id]);

    const lease = await fly.leases.acquire(app, machine.id, { ttlSeconds: 30, description: "conformance" });
    expect(lease.nonce).not.toBe("");
    const refreshed = await fly.leases.refresh(app, machine.id, lease.nonce, { ttlSeconds: 60 });
    expect(refreshed.nonce).toBe(lease.nonce);
    const leased = { leaseNonce: lease.nonce };

    const updated = await fly.machines.update(app, machine.id, { config: { ...machineConfig(), env: { MODE: "updated" } } }, leased);
    expect(updated.config.env).toEqual({ MODE: "updated" });
    await fly.machines.waitForState(app, machine.id, { state: "started", instanceId: updated.instanceId, timeoutMs: 30_000 });
    // current_version guards against lost updates: the machine moved on, so the old version is refused.
    const stale = await flyFailure(fly.machines.update(app, machine.id, { config: machineConfig(), currentVersion: machine.instanceId }, leased));
    expect(stale.status).toBe(412);
    await fly.machines.stop(app, machine.id, {}, leased);
    await fly.machines.waitForState(app, machine.id, { state: "stopped", timeoutMs: 30_000 });
    await fly.machines.start(app, machine.id, leased);
    await fly.machines.waitForState(app, machine.id, { state: "started", timeoutMs: 30_000 });
    await fly.machines.suspend(app, machine.id, leased);
    await fly.machines.waitForState(app, machine.id, { state: "suspended", timeoutMs: 30_000 });
    await fly.leases.release(app, machine.id, lease.nonce);

    await fly.machines.delete(app, machine.id, { force: true });
    await fly.machines.waitForState(app, machine.id, { state: "destroyed", timeoutMs: 30_000 });
    await fly.apps.delete(app);
    expect([...checked.operations()].sort()).toEqual(
      [
        "Apps_create", "Apps_delete", "Secrets_update",
        "Machines_create", "Machines_wait", "Machines_show", "Machines_list", "Machines_update", "Machines_stop",
        "Machines_start", "Machines_suspend", "Machines_delete",
        "Machines_create_lease", "Machines_release_lease",
      ].sort(),
    );
    c.expectConformant();
  });

  it("volumes create/get/list/update/extend/delete, snapshots list/create, and a machine mounting one", async () => {
    c = await started;
    const { fly, checked } = c.client();
    const app = "conf-volumes";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const volume = await fly.volumes.create(app, { name: "workspace", region: "iad", sizeGb: 1 });
    expect((await fly.volumes.get(app, volume.id)).name).toBe("workspace");
    expect((await fly.volumes.list(app)).map((v) => v.id)).toEqual([volume.id]);
    expect((await fly.volumes.update(app, volume.id, { snapshotRetention: 7 })).id).toBe(volume.id);
    const extended = await fly.volumes.extend(app, volume.id, 2);
    expect(extended.volume.sizeGb).toBe(2);
    await fly.volumes.createSnapshot(app, volume.id);
    expect((await fly.volumes.listSnapshots(app, volume.id)).length).toBeGreaterThan(0);

    const machine = await fly.machines.create(app, { config: machineConfig(volume.id), region: "iad" });
    expect((await fly.volumes.get(app, volume.id)).attachedMachineId).toBe(machine.id);
    await fly.machines.delete(app, machine.id, { force: true });
    await fly.machines.waitForState(app, machine.id, { state: "destroyed", timeoutMs: 30_000 });
    await fly.volumes.delete(app, volume.id);
    expect((await flyFailure(fly.volumes.get(app, volume.id))).status).toBe(404);
    await fly.apps.delete(app);
    expect([...checked.operations()].sort()).toEqual(
      [
        "Apps_create", "Apps_delete", "Machines_create", "Machines_delete", "Machines_wait",
        "Volumes_create", "Volumes_get_by_id", "Volumes_list", "Volumes_update", "Volumes_extend", "Volume_delete",
        "createVolumeSnapshot", "Volumes_list_snapshots",
      ].sort(),
    );
    c.expectConformant();
  });

  it("IP assignments list/create/delete", async () => {
    c = await started;
    const { fly, checked } = c.client();
    const app = "conf-ips";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const flycast = await fly.ips.create(app, { type: "private_v6" });
    const shared = await fly.ips.create(app, { type: "shared_v4" });
    const listed = await fly.ips.list(app);
    expect(listed.map((i) => [i.ip, i.type]).sort()).toEqual([[flycast.ip, "private_v6"], [shared.ip, "shared_v4"]].sort());
    await fly.ips.delete(app, flycast.ip);
    expect((await fly.ips.list(app)).map((i) => i.ip)).toEqual([shared.ip]);
    await fly.apps.delete(app);
    expect([...checked.operations()].sort()).toEqual(
      ["Apps_create", "Apps_delete", "App_IPAssignments_create", "App_IPAssignments_list", "App_IPAssignments_delete"].sort(),
    );
    c.expectConformant();
  });
});

describe("Fly behaviours across the client and the local API", () => {
  it("a held lease makes other writers get 409", async () => {
    c = await started;
    const { fly } = c.client();
    const app = "conf-lease";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const machine = await fly.machines.create(app, { config: machineConfig(), region: "iad" });
    await fly.machines.waitForState(app, machine.id, { state: "started", timeoutMs: 30_000 });
    const lease = await fly.leases.acquire(app, machine.id, { ttlSeconds: 30 });

    const second = await flyFailure(fly.leases.acquire(app, machine.id, { ttlSeconds: 30 }));
    expect(second.status).toBe(409);
    expect(second.attempts).toBe(1);
    const unleasedUpdate = await flyFailure(fly.machines.update(app, machine.id, { config: machineConfig() }));
    expect(unleasedUpdate.status).toBe(409);
    expect((await flyFailure(fly.machines.stop(app, machine.id, {}, { leaseNonce: "fake-wrong-nonce" }))).status).toBe(409);

    await fly.machines.stop(app, machine.id, {}, { leaseNonce: lease.nonce });
    await fly.leases.release(app, machine.id, lease.nonce);
    expect((await fly.leases.acquire(app, machine.id, { ttlSeconds: 30 })).nonce).not.toBe(lease.nonce);

    // A machine created with lease_ttl comes back leased to the creator.
    const leasedAtBirth = await fly.machines.create(app, { config: machineConfig(), region: "iad", name: "born-leased", leaseTtl: 30 });
    expect(leasedAtBirth.leaseNonce).toEqual(expect.any(String));
    expect((await flyFailure(fly.machines.stop(app, leasedAtBirth.id))).status).toBe(409);
    await fly.machines.stop(app, leasedAtBirth.id, {}, { leaseNonce: leasedAtBirth.leaseNonce ?? "" });
    await fly.apps.delete(app);
    c.expectConformant();
  });

  it("wait answers 408 when the state is not reached in time", async () => {
    c = await started;
    const { fly } = c.client();
    const app = "conf-wait";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const machine = await fly.machines.create(app, { config: machineConfig(), region: "iad" });
    await fly.machines.waitForState(app, machine.id, { state: "started", timeoutMs: 30_000 });
    const timedOut = await flyFailure(fly.machines.wait(app, machine.id, { state: "stopped", timeoutSeconds: 1 }));
    expect(timedOut.status).toBe(408);
    expect(timedOut.attempts).toBe(1);
    await fly.apps.delete(app);
    c.expectConformant();
  });

  it("deleting an app deletes its machines, volumes, IPs and secrets", async () => {
    c = await started;
    const { fly } = c.client();
    const app = "conf-cascade";
    await fly.apps.create({ name: app, orgSlug: ORG });
    await fly.secrets.update(app, { TOKEN_NAME: "fake-secret-value" });
    const volume = await fly.volumes.create(app, { name: "data", region: "iad", sizeGb: 1 });
    const machine = await fly.machines.create(app, { config: machineConfig(volume.id), region: "iad" });
    await fly.ips.create(app, { type: "shared_v4" });
    await fly.machines.waitForState(app, machine.id, { state: "started", timeoutMs: 30_000 });

    await fly.apps.delete(app);
    const state = c.api.state();
    expect(state.apps).not.toContain(app);
    expect(state.machines.filter((m) => m.app === app && m.state !== "destroyed")).toEqual([]);
    expect(state.volumes.filter((v) => v.app === app)).toEqual([]);
    expect(state.ips.filter((i) => i.app === app)).toEqual([]);
    expect(state.secrets[app]?.names ?? []).toEqual([]);
    expect((await flyFailure(fly.machines.get(app, machine.id))).status).toBe(404);
    expect((await flyFailure(fly.volumes.get(app, volume.id))).status).toBe(404);
    c.expectConformant();
  });

  it("machines see new secrets only after an update; min_secrets_version newer than the app's is refused", async () => {
    c = await started;
    const { fly } = c.client();
    const app = "conf-secrets";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const v1 = await fly.secrets.update(app, { API_KEY: "fake-api-key-1" });
    const machine = await fly.machines.create(app, { config: machineConfig(), region: "iad", minSecretsVersion: v1.version });
    await fly.machines.waitForState(app, machine.id, { state: "started", timeoutMs: 30_000 });
    const secretsVersionOf = (): number | undefined => c.api.state().machines.find((m) => m.id === machine.id)?.secretsVersion;
    expect(secretsVersionOf()).toBe(v1.version);

    const v2 = await fly.secrets.update(app, { API_KEY: "fake-api-key-2" });
    expect(secretsVersionOf()).toBe(v1.version);
    const tooNew = await flyFailure(fly.machines.update(app, machine.id, { config: machineConfig(), minSecretsVersion: v2.version + 5 }));
    expect(tooNew.status).toBeGreaterThanOrEqual(400);
    expect(tooNew.status).toBeLessThan(500);
    await fly.machines.update(app, machine.id, { config: machineConfig(), minSecretsVersion: v2.version });
    expect(secretsVersionOf()).toBe(v2.version);
    await fly.apps.delete(app);
    c.expectConformant();
  });

  it("a volume is pinned to its region and attaches to one machine at a time", async () => {
    c = await started;
    const { fly } = c.client();
    const app = "conf-attach";
    await fly.apps.create({ name: app, orgSlug: ORG });
    const volume = await fly.volumes.create(app, { name: "pinned", region: "iad", sizeGb: 1 });
    const elsewhere = await flyFailure(fly.machines.create(app, { config: machineConfig(volume.id), region: "ams" }));
    expect(elsewhere.status).toBeGreaterThanOrEqual(400);
    expect(elsewhere.status).toBeLessThan(500);
    const first = await fly.machines.create(app, { config: machineConfig(volume.id), region: "iad", name: "first" });
    const second = await flyFailure(fly.machines.create(app, { config: machineConfig(volume.id), region: "iad", name: "second" }));
    expect(second.status).toBeGreaterThanOrEqual(400);
    expect(second.status).toBeLessThan(500);
    expect(c.api.state().volumes.find((v) => v.id === volume.id)?.attachedMachineId).toBe(first.id);
    await fly.apps.delete(app);
    c.expectConformant();
  });

  it("retries stay bounded under injected 5xx faults; creates are not repeated", async () => {
    c = await started;
    const app = "conf-faults";
    const setup = c.client();
    await setup.fly.apps.create({ name: app, orgSlug: ORG });
    const machine = await setup.fly.machines.create(app, { config: machineConfig(), region: "iad" });

    const sleeps: number[] = [];
    const { fly, checked } = c.client({ retry: { maxAttempts: 3 }, sleep: async (ms) => void sleeps.push(ms) });
    c.api.setFaults({ errorRate: 0.5, seed: 7 });
    try {
      const outcomes = [];
      for (let i = 0; i < 20; i++) outcomes.push(await settle(fly.machines.get(app, machine.id)));
      const failed = outcomes.flatMap((o) => (o.error === undefined ? [] : [o.error]));
      // A failed GET used all its attempts; 20 calls of at most 3 attempts each, and with half the
      // answers failing some calls must have retried and most must have got through.
      expect(failed.filter((e) => e.attempts !== 3 || (e.status ?? 0) < 500)).toEqual([]);
      const gets = checked.exchanges.filter((e) => e.operationId === "Machines_show");
      expect(gets.length).toBeLessThanOrEqual(60);
      expect(gets.length).toBeGreaterThan(20);
      expect(failed.length).toBeLessThan(20);
      expect(sleeps.length).toBe(gets.length - 20);

      checked.exchanges.length = 0;
      const creates = [];
      for (let i = 0; i < 6; i++) creates.push(await settle(fly.machines.create(app, { config: machineConfig(), region: "iad" })));
      // A create that failed with 5xx was sent once: it may have been half-done, so it is not repeated.
      expect(creates.flatMap((o) => (o.error === undefined || o.error.attempts === 1 ? [] : [o.error]))).toEqual([]);
      const sent = checked.exchanges.filter((e) => e.operationId === "Machines_create");
      expect(sent.length).toBe(6);
      expect(sent.filter((e) => (e.status ?? 0) >= 500).length).toBeGreaterThan(0);
    } finally {
      c.api.setFaults({});
    }
    await setup.fly.apps.delete(app);
    c.expectConformant();
  });

  it("under rate limits, 429s are retried after Retry-After and the calls complete", async () => {
    c = await started;
    const app = "conf-ratelimit";
    const setup = c.client();
    await setup.fly.apps.create({ name: app, orgSlug: ORG });
    const machine = await setup.fly.machines.create(app, { config: machineConfig(), region: "iad" });

    const sleeps: number[] = [];
    const { fly, checked } = c.client({
      retry: { maxAttempts: 6, maxTotalMs: 20_000 },
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    c.api.setRateLimits(true);
    try {
      const results = await Promise.all(Array.from({ length: 14 }, () => fly.machines.get(app, machine.id)));
      expect(results.every((m) => m.id === machine.id)).toBe(true);
      // Creates are refused before anything happens (429), so retrying them makes no duplicates.
      const names = ["rl-a", "rl-b", "rl-c", "rl-d", "rl-e"];
      const created = await Promise.all(names.map((name) => fly.machines.create(app, { config: machineConfig(), region: "iad", name })));
      expect(created.map((m) => m.name).sort()).toEqual(names);
    } finally {
      c.api.setRateLimits(false);
    }
    const limited = checked.exchanges.filter((e) => e.status === 429);
    expect(limited.filter((e) => e.operationId === "Machines_show").length).toBeGreaterThan(0);
    expect(limited.filter((e) => e.operationId === "Machines_create").length).toBeGreaterThan(0);
    // Each 429 was followed by a wait of what Retry-After said: whole seconds, at least one.
    expect(sleeps.length).toBe(limited.length);
    expect(sleeps.filter((ms) => ms < 1000 || ms % 1000 !== 0)).toEqual([]);
    expect(checked.exchanges.length).toBeLessThanOrEqual((14 + 5) * 6);
    const machines = c.api.state().machines.filter((m) => m.app === app);
    expect(machines).toHaveLength(1 + 5);
    await setup.fly.apps.delete(app);
    c.expectConformant();
  });

  it("the API's request log and log lines never contain the token", async () => {
    c = await started;
    const { fly } = c.client();
    await fly.apps.create({ name: "conf-log", orgSlug: ORG });
    expect((await flyFailure(fly.machines.get("conf-log", "no-such-machine"))).status).toBe(404);
    await fly.apps.delete("conf-log");
    const stranger = "fake-fly-token-of-someone-else";
    const { fly: wrong } = c.client({ token: stranger });
    const refused = await flyFailure(wrong.apps.get("conf-log"));
    expect(refused.status).toBe(401);
    expect(refused.attempts).toBe(1);
    expect(`${refused.message} ${JSON.stringify(refused)}`).not.toContain(stranger);

    const log = c.api.requests();
    expect(JSON.stringify(log)).not.toContain(stranger);
    expect(c.apiLog.join("\n")).not.toContain(stranger);
    expect(log.filter((e) => e.status === 401)).toHaveLength(1);

    // The same log over HTTP: token-checked, and without the token in it.
    const overHttp = await fetch(`${c.api.url}/__sandbox/requests`, { headers: { authorization: `Bearer ${FLY_TOKEN}` } });
    expect(overHttp.status).toBe(200);
    const text = await overHttp.text();
    expect(JSON.parse(text)).toEqual(expect.anything());
    expect(text).not.toContain(FLY_TOKEN);
    expect((await fetch(`${c.api.url}/__sandbox/requests`)).status).toBe(401);
    expect(log.length).toBeGreaterThan(0);
    expect(JSON.stringify(log)).not.toContain(FLY_TOKEN);
    expect(c.apiLog.join("\n")).not.toContain(FLY_TOKEN);
    expect(log.filter((e) => e.operation !== undefined).length).toBeGreaterThan(0);
  });
});
