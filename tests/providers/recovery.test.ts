// The machine and volume providers when things go wrong between Fly and the engine: a process that exits
// instead of passing its checks fails the rollout at once (naming the exit), and a machine or volume an
// earlier up created but never recorded is taken over by name instead of being duplicated or orphaned.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appProvider } from "../../components/fly/app";
import { FlyClient, type MachineConfig } from "../../components/fly/client";
import { machineProvider } from "../../components/fly/machine";
import { volumeProvider } from "../../components/fly/volume";
import { configureProviders } from "./configure";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";
import { RecordingHook } from "../../sandbox/flyapi/test-helpers";
import type { MachineSpecInput } from "../../sandbox/flyapi/types";
import { writes } from "../engine/fly-stack";

const token = "fake-fly-token";
const CRASHING_IMAGE = "registry.example/crashes:v1";
const QUITTING_IMAGE = "registry.example/quits:v1";

/** A runtime whose processes of two images end soon after they start: one with code 1, one with code 0. */
class ExitingRuntime extends RecordingHook {
  override start(spec: MachineSpecInput): Promise<number | undefined> {
    const code = spec.image === CRASHING_IMAGE ? 1 : spec.image === QUITTING_IMAGE ? 0 : undefined;
    if (code !== undefined) setTimeout(() => this.exit(spec.id, code), 50);
    return super.start(spec);
  }
}

let api: LocalFlyApi;
const runtime = new ExitingRuntime();

beforeAll(async () => {
  api = await startFlyApi({ port: 0, token, runtime, transitionMs: 5 });
  await configureProviders(api.url, token, [appProvider, machineProvider, volumeProvider]);
});

afterAll(async () => {
  await api?.close();
});

const health = { health: { type: "http" as const, port: 8080, path: "/health" } };
const inputs = (appName: string, config: MachineConfig) => ({ appName, name: "m", region: "ord", config, adopt: false, providerVersion: 1 });

async function failureOf(promise: Promise<unknown>): Promise<Error & { id?: string }> {
  const outcome = await promise.then(() => undefined, (e: unknown) => e as Error & { id?: string });
  if (outcome === undefined) throw new Error("expected the create to fail, and it succeeded");
  return outcome;
}

describe("machine provider: a process that exits instead of passing its checks", () => {
  it("a crash loop fails the create within seconds (not the 180 s rollout timeout), naming the exit code and the logs", async () => {
    await appProvider.create!({ name: "rec-crash", orgSlug: "personal", adopt: false, privateOnly: false, providerVersion: 1 });
    const error = await failureOf(machineProvider.create!(inputs("rec-crash", { image: CRASHING_IMAGE, checks: health, restart: { policy: "always" } })));
    expect(error.message).toMatch(/keeps crashing: \d+ exits since it was started, the last when its process exited with code 1/);
    expect(error.message).toContain("fly logs -a rec-crash --machine");
    expect(error.id).toBe(api.state().machines.find((m) => m.app === "rec-crash")?.id);
  }, 30_000);

  it("a clean exit under on-failure leaves the machine stopped, and the create says so", async () => {
    await appProvider.create!({ name: "rec-quit", orgSlug: "personal", adopt: false, privateOnly: false, providerVersion: 1 });
    const error = await failureOf(machineProvider.create!(inputs("rec-quit", { image: QUITTING_IMAGE, checks: health, restart: { policy: "on-failure" } })));
    expect(error.message).toMatch(/is stopped instead of passing its checks: its process exited with code 0/);
  }, 30_000);
});

describe("machine provider: a machine of this name that the state does not know", () => {
  it("is taken over and converged by create: no second machine, no name conflict", async () => {
    // Made by an earlier up (another provider process), which left what follows behind.
    const fly = new FlyClient({ token, baseUrl: api.url });
    await fly.apps.create({ name: "rec-orphan", orgSlug: "personal" });
    const orphan = await fly.machines.create("rec-orphan", { name: "m", region: "ord", config: { image: "registry.example/app:v1" } });
    await fly.machines.waitForState("rec-orphan", orphan.id, { state: "started", timeoutMs: 5_000 });
    api.clearRequests();

    const created = await machineProvider.create!(inputs("rec-orphan", { image: "registry.example/app:v2" }));
    expect(created.id).toBe(orphan.id);
    expect(writes(api.requests())).toEqual([
      `POST /v1/apps/rec-orphan/machines/${orphan.id}/lease`,
      `POST /v1/apps/rec-orphan/machines/${orphan.id}`,
      `DELETE /v1/apps/rec-orphan/machines/${orphan.id}/lease`,
    ]);
    const live = api.state().machines.filter((m) => m.app === "rec-orphan");
    expect(live).toEqual([expect.objectContaining({ id: orphan.id, image: "registry.example/app:v2", state: "started" })]);
  }, 30_000);

  it("a machine of another name is left alone and a new one is made", async () => {
    await appProvider.create!({ name: "rec-other", orgSlug: "personal", adopt: false, privateOnly: false, providerVersion: 1 });
    const fly = new FlyClient({ token, baseUrl: api.url });
    const other = await fly.machines.create("rec-other", { name: "someone-elses", region: "ord", config: { image: "registry.example/app:v1" } });
    const created = await machineProvider.create!(inputs("rec-other", { image: "registry.example/app:v2" }));
    expect(created.id).not.toBe(other.id);
    expect(api.state().machines.filter((m) => m.app === "rec-other")).toHaveLength(2);
  }, 30_000);
});

describe("volume provider: a volume of this name that the state does not know", () => {
  const volumeInputs = (appName: string, sizeGb = 1) => ({ appName, name: "vm_data", region: "ord", sizeGb, adopt: false, allowDataLoss: false, providerVersion: 1 });

  it("an unattached one in the same region is recorded (and grown to the asked size), not made twice", async () => {
    // Made by an earlier up (another provider process), which left what follows behind.
    const fly = new FlyClient({ token, baseUrl: api.url });
    await fly.apps.create({ name: "rec-vol", orgSlug: "personal" });
    const orphan = await fly.volumes.create("rec-vol", { name: "vm_data", region: "ord", sizeGb: 1 });
    api.clearRequests();
    const created = await volumeProvider.create!(volumeInputs("rec-vol", 2));
    expect(created).toMatchObject({ id: orphan.id, outs: { volumeId: orphan.id, sizeGb: 2 } });
    expect(writes(api.requests())).toEqual([`PUT /v1/apps/rec-vol/volumes/${orphan.id}/extend`]);
    expect(api.state().volumes.filter((v) => v.app === "rec-vol")).toEqual([expect.objectContaining({ id: orphan.id, sizeGb: 2 })]);
  });

  it("one attached to a machine, or in another region, is left alone; beside a mounted one, only with allowDataLoss", async () => {
    // Made by an earlier up (another provider process), which left what follows behind.
    const fly = new FlyClient({ token, baseUrl: api.url });
    await fly.apps.create({ name: "rec-vol2", orgSlug: "personal" });
    const elsewhere = await fly.volumes.create("rec-vol2", { name: "vm_data", region: "ams", sizeGb: 1 });
    const attached = await fly.volumes.create("rec-vol2", { name: "vm_data", region: "ord", sizeGb: 1 });
    await fly.machines.create("rec-vol2", { region: "ord", config: { image: "registry.example/app:v1", mounts: [{ volume: attached.id, path: "/data" }] } });
    // A second volume beside one a machine mounts is a replacement the diff never saw (guarded in volume.ts).
    await expect(volumeProvider.create!(volumeInputs("rec-vol2"))).rejects.toThrow(/refusing to create a second vm_data volume/);
    const created = await volumeProvider.create!({ ...volumeInputs("rec-vol2"), allowDataLoss: true });
    expect([elsewhere.id, attached.id]).not.toContain(created.id);
    expect(api.state().volumes.filter((v) => v.app === "rec-vol2")).toHaveLength(3);
  });
});

describe("machine provider: an update of a machine found stopped", () => {
  const service = (autostopMachines: "off" | "stop") =>
    [{ protocol: "tcp" as const, internalPort: 3000, ports: [{ port: 80, handlers: ["http"] }], autostopMachines, autostartMachines: true }];

  async function stoppedMachine(app: string, autostop: "off" | "stop") {
    await appProvider.create!({ name: app, orgSlug: "personal", adopt: false, privateOnly: false, providerVersion: 1 });
    const created = await machineProvider.create!(inputs(app, { image: "registry.example/app:v1", services: service(autostop) }));
    const fly = new FlyClient({ token, baseUrl: api.url });
    await fly.machines.stop(app, created.id);
    await fly.machines.waitForState(app, created.id, { state: "stopped", timeoutMs: 5_000 });
    return created;
  }

  it("starts one meant to run all the time (autostop off, like the relay) and waits for it", async () => {
    const created = await stoppedMachine("rec-stopped-relay", "off");
    const news = inputs("rec-stopped-relay", { image: "registry.example/app:v2", services: service("off") });
    await machineProvider.update!(created.id, created.outs, news);
    expect(api.state().machines.find((m) => m.id === created.id)).toMatchObject({ state: "started", image: "registry.example/app:v2" });
  }, 30_000);

  it("leaves one that sleeps when idle (autostop stop, like the VM) asleep, with its new config", async () => {
    const created = await stoppedMachine("rec-stopped-vm", "stop");
    const news = inputs("rec-stopped-vm", { image: "registry.example/app:v2", services: service("stop") });
    await machineProvider.update!(created.id, created.outs, news);
    expect(api.state().machines.find((m) => m.id === created.id)).toMatchObject({ state: "stopped", image: "registry.example/app:v2" });
  }, 30_000);
});

describe("app provider: an app of this name that the state does not know", () => {
  const appInputs = (name: string) => ({ name, orgSlug: "personal", adopt: false, privateOnly: false, providerVersion: 1 });

  it("an empty one of the stack's organization, made by an up whose answer was lost, is recorded", async () => {
    api.setFaults({ loseAnswers: { Apps_create: 1 } });
    try {
      await expect(appProvider.create!(appInputs("rec-app-lost"))).rejects.toThrow(/504/);
    } finally {
      api.setFaults({});
    }
    expect(api.state().apps).toContain("rec-app-lost");
    await expect(appProvider.create!(appInputs("rec-app-lost"))).resolves.toMatchObject({ id: "rec-app-lost", outs: { adopted: false } });
  });

  it("one holding a machine or a volume is refused, naming adoptExisting and the prefix; nothing is written", async () => {
    await appProvider.create!(appInputs("rec-app-used"));
    const fly = new FlyClient({ token, baseUrl: api.url });
    await fly.volumes.create("rec-app-used", { name: "vm_data", region: "ord", sizeGb: 1 });
    api.clearRequests();
    await expect(appProvider.create!(appInputs("rec-app-used"))).rejects.toThrow(
      /app rec-app-used already exists in organization personal with 0 machine\(s\) and 1 volume\(s\).*textslash:adoptExisting true.*textslash:prefix/,
    );
    expect(writes(api.requests())).toEqual(["POST /v1/apps"]);
  });

  it("one of another of the user's organizations is refused, naming textslash:org and textslash:prefix", async () => {
    const fly = new FlyClient({ token, baseUrl: api.url });
    await fly.apps.create({ name: "rec-app-theirs", orgSlug: "someone-else" });
    await expect(appProvider.create!(appInputs("rec-app-theirs"))).rejects.toThrow(
      /app rec-app-theirs already exists in your Fly organization someone-else, not in this stack's personal\. Deploy there with `pulumi config set textslash:org someone-else`, or choose another prefix/,
    );
  });
});
