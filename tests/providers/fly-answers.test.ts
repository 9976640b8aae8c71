// Fly's answers read the way Fly gives them: a machine config echoed with more than was sent (mount
// name/size_gb/encrypted, defaults) is no drift and no "reads back different"; volumes Fly is removing
// (scheduling_destroy, waiting_for_detach, fork_cleanup, pending_destroy) are never taken over and count as
// destroyed; an extend answering needs_restart restarts the machine under its lease, or says what to run.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appProvider } from "../../components/fly/app";
import { FlyClient, type MachineConfig } from "../../components/fly/client";
import { machineProvider } from "../../components/fly/machine";
import { volumeProvider } from "../../components/fly/volume";
import { configureProviders } from "./configure";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";
import { RecordingHook } from "../../sandbox/flyapi/test-helpers";
import { writes } from "../engine/fly-stack";

const token = "fake-fly-token";
let api: LocalFlyApi;
let fly: FlyClient;
const runtime = new RecordingHook();

beforeAll(async () => {
  api = await startFlyApi({ port: 0, token, runtime, transitionMs: 5, checkResponses: true });
  fly = new FlyClient({ token, baseUrl: api.url, env: {} });
  await configureProviders(api.url, token, [appProvider, machineProvider, volumeProvider]);
});

afterAll(async () => {
  await api?.close();
});

beforeEach(() => api.clearRequests());

const newApp = (name: string) => appProvider.create!({ name, orgSlug: "personal", adopt: false, privateOnly: false, allowDataLoss: false, providerVersion: 1 });
const volumeInputs = (appName: string, sizeGb = 1) => ({ appName, name: "vm_data", region: "ord", sizeGb, adopt: false, allowDataLoss: true, providerVersion: 1 });
const config = (volume: string, image = "registry.example/vm:v1"): MachineConfig => ({
  image,
  env: { PORT: "3001" },
  services: [{ protocol: "tcp", internalPort: 3001, ports: [{ port: 80, handlers: ["http"] }], autostopMachines: "stop", autostartMachines: true, minMachinesRunning: 0 }],
  mounts: [{ volume, path: "/data" }],
});
const machineInputs = (appName: string, volumeId: string, image?: string) =>
  ({ appName, name: `${appName}-1`, region: "ord", config: config(volumeId, image), volumeId, adopt: false, providerVersion: 1 });

describe("a machine config as Fly echoes it", () => {
  it("reads back with its mount's name, size and encryption and defaults filled in, and that is no drift", async () => {
    await newApp("ans-echo");
    const volume = await volumeProvider.create!(volumeInputs("ans-echo", 3));
    const created = await machineProvider.create!(machineInputs("ans-echo", volume.id));
    const echoed = await fly.machines.get("ans-echo", created.id);
    expect(echoed.config.mounts).toEqual([{ volume: volume.id, path: "/data", name: "vm_data", sizeGb: 3, encrypted: true }]);
    expect(echoed.config.restart).toEqual({ policy: "on-failure" });
    await expect(machineProvider.read!(created.id, created.outs)).resolves.toEqual({ id: created.id, props: created.outs });
  });

  it("a stopped machine updated with skip_launch reads back as updated (only the owned fields are compared)", async () => {
    const id = (await fly.machines.list("ans-echo"))[0]!.id;
    await fly.machines.stop("ans-echo", id);
    await fly.machines.waitForState("ans-echo", id, { state: "stopped", timeoutMs: 30_000 });
    const volumeId = api.state().volumes.find((v) => v.app === "ans-echo")!.id;
    const updated = await machineProvider.update!(id, machineInputs("ans-echo", volumeId), machineInputs("ans-echo", volumeId, "registry.example/vm:v2"));
    expect(updated.outs).toMatchObject({ machineId: id });
    expect((await fly.machines.get("ans-echo", id)).state).toBe("stopped");
  });
});

describe("volumes Fly is removing", () => {
  it.each(["scheduling_destroy", "waiting_for_detach", "fork_cleanup", "pending_destroy"])("in %s are not taken over, drop out on refresh and need no delete", async (state) => {
    const app = `ans-${state.replace(/_/g, "-")}`;
    await newApp(app);
    const old = await volumeProvider.create!(volumeInputs(app));
    api.setVolumeState(old.id, state);
    api.clearRequests();
    const fresh = await volumeProvider.create!(volumeInputs(app));
    expect(fresh.id).not.toBe(old.id);
    expect(writes(api.requests())).toEqual([`POST /v1/apps/${app}/volumes`]);
    await expect(volumeProvider.read!(old.id, old.outs)).resolves.toEqual({});
    api.clearRequests();
    await volumeProvider.delete!(old.id, old.outs);
    expect(writes(api.requests())).toEqual([]);
  });
});

describe("an extend Fly answers with needs_restart", () => {
  it("restarts the started machine that mounts the volume, under its lease, and waits for it", async () => {
    await newApp("ans-grow");
    const volume = await volumeProvider.create!(volumeInputs("ans-grow"));
    const m = await machineProvider.create!(machineInputs("ans-grow", volume.id));
    api.clearRequests();
    const before = runtime.calls.length;
    const grown = await volumeProvider.update!(volume.id, volume.outs, volumeInputs("ans-grow", 2));
    expect(grown.outs).toMatchObject({ sizeGb: 2 });
    expect(writes(api.requests())).toEqual([
      `PUT /v1/apps/ans-grow/volumes/${volume.id}/extend`,
      `POST /v1/apps/ans-grow/machines/${m.id}/lease`,
      `POST /v1/apps/ans-grow/machines/${m.id}/restart`,
      `DELETE /v1/apps/ans-grow/machines/${m.id}/lease`,
    ]);
    expect(runtime.calls.slice(before).map((c) => c.op)).toEqual(["stop", "start"]);
    expect((await fly.machines.get("ans-grow", m.id)).state).toBe("started");
  });

  it("says exactly what to run when the restart cannot be done, and records the new size", async () => {
    const volumeId = api.state().volumes.find((v) => v.app === "ans-grow")!.id;
    const machineId = api.state().machines.find((x) => x.app === "ans-grow")!.id;
    const held = await fly.leases.acquire("ans-grow", machineId, { ttlSeconds: 60 });
    const failure = await volumeProvider.update!(volumeId, volumeInputs("ans-grow", 2), volumeInputs("ans-grow", 3)).then(() => undefined, (e: unknown) => e as Error & { properties?: unknown });
    await fly.leases.release("ans-grow", machineId, held.nonce);
    expect(failure?.message).toMatch(new RegExp(`^volume ${volumeId} of ans-grow now has 3 GB, but Fly says machine ${machineId} must restart to use the space, and restarting it failed: .*HTTP 409`));
    expect(failure?.message).toContain(`Finish it with \`fly machine restart ${machineId} -a ans-grow\`.`);
    expect(failure?.properties).toMatchObject({ sizeGb: 3, volumeId });
  });

  it("leaves a stopped machine alone: it mounts the bigger volume when it next starts", async () => {
    const machineId = api.state().machines.find((x) => x.app === "ans-grow")!.id;
    const volumeId = api.state().volumes.find((v) => v.app === "ans-grow")!.id;
    await fly.machines.stop("ans-grow", machineId);
    await fly.machines.waitForState("ans-grow", machineId, { state: "stopped", timeoutMs: 30_000 });
    api.clearRequests();
    await volumeProvider.update!(volumeId, volumeInputs("ans-grow", 3), volumeInputs("ans-grow", 4));
    expect(writes(api.requests())).toEqual([`PUT /v1/apps/ans-grow/volumes/${volumeId}/extend`]);
  });
});
