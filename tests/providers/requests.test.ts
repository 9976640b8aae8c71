// The requests the providers send are the ones Fly accepts, in the form flyctl and fly-go send them:
// app create with ?wait=true and no read before the app exists; an app delete that stops and destroys the
// machines first and ends only when Fly's asynchronous delete has; a machine update that keeps the machine's
// name; waits by `version`; a Flycast address with its org_slug; and a name another organization holds.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appProvider } from "../../components/fly/app";
import { FlyClient } from "../../components/fly/client";
import { ipProvider } from "../../components/fly/ip";
import { machineProvider } from "../../components/fly/machine";
import { configureProviders } from "./configure";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";
import { RecordingHook } from "../../sandbox/flyapi/test-helpers";
import { writes } from "../engine/fly-stack";

const token = "fake-fly-token";
let api: LocalFlyApi;
let fly: FlyClient;
const runtime = new RecordingHook();

beforeAll(async () => {
  // A slow app life cycle, so a client that did not wait for the app would meet its 404.
  api = await startFlyApi({ port: 0, token, runtime, transitionMs: 5, appLifecycleMs: 300, checkResponses: true });
  fly = new FlyClient({ token, baseUrl: api.url, env: {} });
  await configureProviders(api.url, token, [appProvider, machineProvider, ipProvider]);
});

afterAll(async () => {
  await api?.close();
});

beforeEach(() => api.clearRequests());

const appInputs = (name: string) => ({ name, orgSlug: "personal", adopt: false, privateOnly: false, providerVersion: 1 });
const log = () => api.requests().map((r) => `${r.method} ${r.path} ${r.status}`);

describe("apps", () => {
  it("are created with ?wait=true and never read before they exist; the next call on the app succeeds at once", async () => {
    await appProvider.create!(appInputs("req-new"));
    expect(log()).toEqual(["POST /v1/apps?wait=true 201"]);
    await ipProvider.create!({ appName: "req-new", type: "private_v6", orgSlug: "personal", providerVersion: 1 });
    // An app this process just created has no address to adopt: no listing first (components/fly/fresh-apps.ts).
    expect(log().slice(1)).toEqual(["POST /v1/apps/req-new/ip_assignments 200"]);
    // flyctl sends the organization with a Flycast assignment (deploy_first.go); the API keeps what it was sent.
    expect(api.state().ips.filter((ip) => ip.app === "req-new")).toEqual([{ app: "req-new", type: "private_v6", address: expect.any(String), orgSlug: "personal" }]);
  });

  it("are deleted after their machines were stopped and destroyed, and only count as deleted once Fly says 404", async () => {
    await appProvider.create!(appInputs("req-full"));
    const m = await fly.machines.create("req-full", { name: "req-full-1", region: "ord", config: { image: "registry.example/app:v1" } });
    await fly.machines.waitForState("req-full", m.id, { state: "started", version: m.instanceId, timeoutMs: 30_000 });
    api.clearRequests();
    await appProvider.delete!("req-full", appInputs("req-full"));
    expect(writes(api.requests())).toEqual([`POST /v1/apps/req-full/machines/${m.id}/stop`, `DELETE /v1/apps/req-full/machines/${m.id}`, "DELETE /v1/apps/req-full"]);
    expect(log().at(-1)).toBe("GET /v1/apps/req-full 404");
    expect(runtime.calls.filter((c) => "id" in c && c.id === m.id).map((c) => c.op)).toEqual(["stop", "destroy"]);
    // The name is free again for the next up of the same stack.
    await appProvider.create!(appInputs("req-full"));
  });

  it("held by another organization (Fly answers 403 on read) fail with the key to change, textslash:prefix", async () => {
    api.addForeignApp("held-relay");
    const failure = await appProvider.create!(appInputs("held-relay")).then(() => undefined, (e: unknown) => e as Error);
    expect(failure?.message).toBe(
      "app name held-relay is taken by another Fly organization (Fly answers 403 to reading it; this stack's organization is personal). " +
        'App names are global: choose another prefix with `pulumi config set textslash:prefix <new-prefix>` (now "held") and run `pulumi up` again.',
    );
    const adopting = await appProvider.create!({ ...appInputs("held-relay"), adopt: true }).then(() => undefined, (e: unknown) => e as Error);
    expect(adopting?.message).toContain("textslash:prefix");
  });
});

describe("machines", () => {
  it("are updated under their current name (a machine taken over under another name keeps it) and waited for by version", async () => {
    await fly.apps.create({ name: "req-mach", orgSlug: "personal" }); // made by `fly launch`, not by this process
    const m = await fly.machines.create("req-mach", { name: "made-by-fly-deploy", region: "ord", config: { image: "registry.example/app:v1" } });
    await fly.machines.waitForState("req-mach", m.id, { state: "started", version: m.instanceId, timeoutMs: 30_000 });
    api.clearRequests();
    const inputs = { appName: "req-mach", name: "req-mach-1", region: "ord", config: { image: "registry.example/app:v2" }, adopt: true, providerVersion: 1 };
    await machineProvider.create!(inputs);
    const after = await fly.machines.get("req-mach", m.id);
    expect(after.name).toBe("made-by-fly-deploy");
    expect(after.config.image).toBe("registry.example/app:v2");
    const waits = api.requests().filter((r) => r.path.includes("/wait"));
    expect(waits.length).toBeGreaterThan(0);
    for (const w of waits) expect(w.path).toMatch(new RegExp(`^/v1/apps/req-mach/machines/${m.id}/wait\\?state=started&timeout=\\d+&version=${after.instanceId}$`));
  });

  it("the local API refuses an update that would rename a machine", async () => {
    const m = (await fly.machines.list("req-mach"))[0]!;
    const nonce = (await fly.leases.acquire("req-mach", m.id, { ttlSeconds: 30 })).nonce;
    const failure = await fly.machines.update("req-mach", m.id, { name: "renamed", config: m.config }, { leaseNonce: nonce }).then(() => undefined, (e: unknown) => e as Error);
    await fly.leases.release("req-mach", m.id, nonce);
    expect(failure?.message).toContain(`HTTP 422: machine ${m.id} is named "made-by-fly-deploy"; an update cannot rename it to "renamed"`);
  });
});
