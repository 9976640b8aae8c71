import { afterEach, describe, expect, it } from "vitest";
import { FlyApiError } from "../../components/fly/client";
import { closeHarness, raw, startHarness, type Harness } from "./test-helpers";

let h: Harness | undefined;
afterEach(async () => {
  await closeHarness(h);
  h = undefined;
});

async function statusOf(p: Promise<unknown>): Promise<number | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof FlyApiError ? err.status : undefined;
}

describe("leases", () => {
  it("a held lease makes writers without its nonce get 409, and the holder passes", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "lease-app", orgSlug: "personal" });
    const m = await h.fly.machines.create("lease-app", { config: { image: "demo:1" }, skipLaunch: true });
    const lease = await h.fly.leases.acquire("lease-app", m.id, { ttlSeconds: 30, description: "deploy" });
    expect(lease.nonce).not.toBe("");
    expect(await statusOf(h.fly.leases.acquire("lease-app", m.id))).toBe(409);
    expect(await statusOf(h.fly.machines.update("lease-app", m.id, { config: { image: "demo:2" }, skipLaunch: true }))).toBe(409);
    expect(await statusOf(h.fly.machines.start("lease-app", m.id))).toBe(409);
    expect(await statusOf(h.fly.machines.stop("lease-app", m.id))).toBe(409);
    expect(await statusOf(h.fly.machines.delete("lease-app", m.id))).toBe(409);
    expect(await statusOf(h.fly.machines.update("lease-app", m.id, { config: { image: "demo:2" }, skipLaunch: true }, { leaseNonce: "wrong" }))).toBe(409);
    const updated = await h.fly.machines.update("lease-app", m.id, { config: { image: "demo:2" }, skipLaunch: true }, { leaseNonce: lease.nonce });
    expect(updated.config.image).toBe("demo:2");
    const shown = await h.fly.leases.get("lease-app", m.id);
    expect(shown.nonce).toBe(lease.nonce);
    expect(await statusOf(h.fly.leases.release("lease-app", m.id, "wrong"))).toBe(409);
    await h.fly.leases.release("lease-app", m.id, lease.nonce);
    expect(await statusOf(h.fly.leases.get("lease-app", m.id))).toBe(404);
    await h.fly.machines.start("lease-app", m.id);
  });

  it("takes the TTL from ?ttl= too, and the lease expires by itself", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "lease-app", orgSlug: "personal" });
    const m = await h.fly.machines.create("lease-app", { config: { image: "demo:1" }, skipLaunch: true });
    // The start below must meet the lease still held: 3 s for two requests to this process's own
    // server (50 ms at load 4.5). With ?ttl=1 a machine some 20 times slower would have seen it expire.
    const res = await raw(h.api, "POST", `/v1/apps/lease-app/machines/${m.id}/lease?ttl=3`);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: "success", data: { nonce: expect.any(String), expires_at: expect.any(Number) } });
    expect(await statusOf(h.fly.machines.start("lease-app", m.id))).toBe(409);
    // Until the lease has expired however long the above took (expires_at is rounded down to whole seconds).
    const expired = ((res.json as { data: { expires_at: number } }).data.expires_at + 1) * 1000 + 50;
    await new Promise((r) => setTimeout(r, Math.max(0, expired - Date.now())));
    await h.fly.machines.start("lease-app", m.id);
    await h.fly.machines.wait("lease-app", m.id, { state: "started", timeoutSeconds: 5 });
  });

  it("the holder refreshes with its nonce; lease_ttl on create hands the creator the nonce", async () => {
    h = await startHarness();
    await h.fly.apps.create({ name: "lease-app", orgSlug: "personal" });
    const m = await h.fly.machines.create("lease-app", { config: { image: "demo:1" }, skipLaunch: true, leaseTtl: 30 });
    expect(m.leaseNonce).toMatch(/^[0-9a-f]+$/);
    expect(await statusOf(h.fly.machines.start("lease-app", m.id))).toBe(409);
    const refreshed = await h.fly.leases.refresh("lease-app", m.id, m.leaseNonce ?? "", { ttlSeconds: 60 });
    expect(refreshed.nonce).toBe(m.leaseNonce);
    await h.fly.machines.start("lease-app", m.id, { leaseNonce: m.leaseNonce });
  });
});
