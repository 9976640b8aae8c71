// Every request body and query the Fly client can send, checked against Fly's OpenAPI document in
// "client forms" mode, with no undeclared fields: the client must send the form the document names (README: accept both forms on
// the server side, send the document's form on the client side). Replies come from a scripted server.
import { afterAll, beforeAll, expect, it } from "vitest";
import { FlyClient, type FetchLike } from "../../components/fly/client";
import { loadFlyOpenApi } from "../../sandbox/openapi";
import { startScriptedServer, type ScriptedServer } from "./scripted-server";
import { validatingFetch } from "./validating-fetch";

const requests = loadFlyOpenApi(undefined, { clientForms: true, rejectUnknownFields: true });
const responses = loadFlyOpenApi();

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(async () => {
  await server.close();
});

const MACHINE = { id: "m-fake1", name: "m-fake1", state: "started", region: "iad", instance_id: "inst-1", config: { image: "img:1" } };
const VOLUME = { id: "vol_fake1", name: "workspace", region: "iad", size_gb: 1, state: "created" };

it("sends only what the document names, for every operation the client has", async () => {
  // Each reply fits the operation being called; the scripted server answers in call order.
  const reply = (body: unknown, status = 200) => server.script({ status, body });
  const checked = validatingFetch({ requests, responses, inner: ((input, init) => fetch(input, init)) as FetchLike });
  const fly = new FlyClient({ baseUrl: server.url, token: "fake-fly-token", env: {}, fetch: checked.fetch, sleep: async () => {} });
  const config = {
    image: "registry.fly.io/textslash-vm:deploy-1",
    env: { PORT: "8080" },
    guest: { cpuKind: "shared", cpus: 1, memoryMb: 512 },
    services: [
      {
        protocol: "tcp",
        internalPort: 8080,
        ports: [{ port: 80, handlers: ["http"] }],
        autostopMachines: "suspend" as const,
        autostartMachines: true,
        minMachinesRunning: 0,
        concurrency: { type: "requests", softLimit: 10, hardLimit: 20 },
      },
    ],
    checks: { health: { type: "http" as const, port: 8080, path: "/healthz", method: "GET", interval: "15s", timeout: "5s", gracePeriod: "10s" } },
    mounts: [{ volume: "vol_fake1", path: "/data" }],
    restart: { policy: "on-failure" as const, maxRetries: 3 },
    metadata: { role: "vm" },
    stopConfig: { signal: "SIGTERM" as const, timeout: "10s" },
    init: { cmd: ["node", "server.js"] },
    files: [{ guestPath: "/etc/app.conf", rawValue: "ZmFrZQ==" }],
    autoDestroy: false,
  };

  reply({ id: "app_1", created_at: 1 }, 201);
  reply({ id: "app_1", name: "textslash-vm", organization: { slug: "personal" }, status: "deployed" });
  await fly.apps.create({ name: "textslash-vm", orgSlug: "personal", network: "default", enableSubdomains: false });
  reply({ id: "app_1", name: "textslash-vm", organization: { slug: "personal" } });
  await fly.apps.get("textslash-vm");
  reply({ total_apps: 1, apps: [{ id: "app_1", name: "textslash-vm", organization: { slug: "personal" } }] });
  await fly.apps.list("personal");

  reply(MACHINE);
  await fly.machines.create("textslash-vm", { config, name: "vm", region: "iad", skipLaunch: false, minSecretsVersion: 2, leaseTtl: 30, skipServiceRegistration: false });
  reply(MACHINE);
  await fly.machines.get("textslash-vm", "m-fake1");
  reply([MACHINE]);
  await fly.machines.list("textslash-vm", { includeDeleted: false, region: "iad", state: "started" });
  reply(MACHINE);
  await fly.machines.update("textslash-vm", "m-fake1", { config, minSecretsVersion: 3, currentVersion: "inst-1" }, { leaseNonce: "fake-nonce" });
  reply({});
  await fly.machines.start("textslash-vm", "m-fake1");
  reply({});
  await fly.machines.stop("textslash-vm", "m-fake1", { signal: "SIGINT", timeout: "5s" });
  reply({});
  await fly.machines.suspend("textslash-vm", "m-fake1");
  reply({ ok: true });
  await fly.machines.restart("textslash-vm", "m-fake1", { leaseNonce: "fake-nonce" });
  reply({ ok: true, state: "started" });
  await fly.machines.wait("textslash-vm", "m-fake1", { state: "started", timeoutSeconds: 30, version: "inst-1" });
  reply({ nonce: "fake-nonce", expires_at: 2_000_000_000 }, 201);
  await fly.leases.acquire("textslash-vm", "m-fake1", { ttlSeconds: 30, description: "deploy" });
  reply({ nonce: "fake-nonce", expires_at: 2_000_000_000 }, 201);
  await fly.leases.refresh("textslash-vm", "m-fake1", "fake-nonce", { ttlSeconds: 60 });
  reply({ nonce: "fake-nonce", expires_at: 2_000_000_000 });
  await fly.leases.get("textslash-vm", "m-fake1");
  reply({});
  await fly.leases.release("textslash-vm", "m-fake1", "fake-nonce");
  reply({});
  await fly.machines.delete("textslash-vm", "m-fake1", { force: true });

  reply(VOLUME);
  await fly.volumes.create("textslash-vm", { name: "workspace", region: "iad", sizeGb: 1, encrypted: true, snapshotRetention: 5, autoBackupEnabled: true, requireUniqueZone: false });
  reply(VOLUME);
  await fly.volumes.get("textslash-vm", "vol_fake1");
  reply([VOLUME]);
  await fly.volumes.list("textslash-vm");
  reply(VOLUME);
  await fly.volumes.update("textslash-vm", "vol_fake1", { snapshotRetention: 7, autoBackupEnabled: false });
  reply({ volume: { ...VOLUME, size_gb: 2 }, needs_restart: false });
  await fly.volumes.extend("textslash-vm", "vol_fake1", 2);
  reply([{ id: "vs_1", status: "created", size: 1 }]);
  await fly.volumes.listSnapshots("textslash-vm", "vol_fake1");
  reply(undefined);
  await fly.volumes.createSnapshot("textslash-vm", "vol_fake1");
  reply(VOLUME);
  await fly.volumes.delete("textslash-vm", "vol_fake1");

  reply({ secrets: [{ name: "A", digest: "d" }] });
  await fly.secrets.list("textslash-vm");
  reply({ version: 3, secrets: [] });
  await fly.secrets.update("textslash-vm", { A: "fake-value", B: null });

  reply({ ips: [] });
  await fly.ips.list("textslash-vm");
  reply({ ip: "fdaa::3", region: "global", service_name: "" });
  await fly.ips.create("textslash-vm", { type: "private_v6", network: "default", orgSlug: "personal", serviceName: "" });
  reply(undefined, 204);
  await fly.ips.delete("textslash-vm", "fdaa::3");
  reply(undefined, 202);
  await fly.apps.delete("textslash-vm");

  expect(checked.violations).toEqual([]);
  expect(checked.exchanges.filter((e) => e.operationId === undefined)).toEqual([]);
  expect([...checked.operations()].sort()).toEqual(
    [
      "Apps_create", "Apps_show", "Apps_list", "Apps_delete",
      "Machines_create", "Machines_show", "Machines_list", "Machines_update", "Machines_start", "Machines_stop",
      "Machines_suspend", "Machines_restart", "Machines_wait", "Machines_delete",
      "Machines_create_lease", "Machines_show_lease", "Machines_release_lease",
      "Volumes_create", "Volumes_get_by_id", "Volumes_list", "Volumes_update", "Volumes_extend", "Volume_delete",
      "Volumes_list_snapshots", "createVolumeSnapshot",
      "Secrets_list", "Secrets_update",
      "App_IPAssignments_list", "App_IPAssignments_create", "App_IPAssignments_delete",
    ].sort(),
  );
});

it("the validating fetch reports bad requests, bad responses, bad auth and unknown paths", async () => {
  const checked = validatingFetch({ requests, responses });
  server.script({ status: 200, body: { id: 5, state: "started" } }, { status: 404, body: "not json" }, { status: 200, body: {} });
  const headers = { authorization: "Bearer fake-fly-token", "content-type": "application/json" };
  await checked.fetch(`${server.url}/v1/apps/a/volumes`, { method: "POST", headers, body: JSON.stringify({ size_gb: "1" }) });
  await checked.fetch(`${server.url}/v1/apps/a/machines/m1`, { method: "GET", headers: { authorization: "token fake" } });
  await checked.fetch(`${server.url}/v1/apps/a/nonsense`, { method: "GET", headers });
  const text = checked.violations.join("\n");
  expect(text).toContain("request body: size_gb must be integer");
  expect(text).toContain("response 200 body: id must be string");
  expect(text).toContain("authorization header is not one of Fly's forms");
  expect(text).toContain("response 404 body: (root) must be object");
  expect(text).toContain("GET /v1/apps/a/nonsense: no operation");
});
