// Fly behaviours the client and the local Fly API must reproduce together, with every exchange still checked
// against Fly's OpenAPI document: lease conflicts, wait timeouts, app deletion taking its children, secrets
// versions, volume pinning, bounded retries under 5xx/429 faults, and no token in the API's logs.
import { afterAll, describe, expect, it } from "vitest";
import { FLY_TOKEN, ORG, flyFailure, machineConfig, settle, startConformance, type Conformance } from "./conformance-harness";

// Started once for the file. Each test awaits it, so without Fly's OpenAPI document every test FAILS with the
// loader's instructions (a failing beforeAll would only mark them skipped).
const started = startConformance();
started.catch(() => undefined); // reported by each test, not as an unhandled rejection
let c: Conformance;
afterAll(async () => {
  await (await started.catch(() => undefined))?.close();
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
    await fly.apps.waitUntilGone(app);
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

    // The buckets' clock moves only as the client waits: which requests get a 429 does not depend on
    // how fast this machine sends them. On the wall clock, the 14 reads below must all arrive within
    // 800 ms (4 refills at 5/s) for any to be refused; they arrived 18-97 ms apart at load 4.5, so a
    // machine about 8 times slower would have had none refused and failed the test.
    const sleeps: number[] = [];
    const { fly, checked } = c.client({
      retry: { maxAttempts: 6, maxTotalMs: 20_000 },
      sleep: (ms) => {
        sleeps.push(ms);
        c.advanceRateLimitClock(ms);
        return Promise.resolve();
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
