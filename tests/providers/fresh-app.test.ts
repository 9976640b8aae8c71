// Issue 20.2, the fresh up's critical path: in an app this provider process has just created, the volume,
// IP and machine creates send their write with no listing first (components/fly/fresh-apps.ts), and the
// app's check asks Fly about a new name in a preview only. What the listings guard against still holds:
// a create retried in the same process lists (and records what its lost answer made), and a machine
// whose name Fly refuses is taken over.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appProvider } from "../../components/fly/app";
import { FlyClient } from "../../components/fly/client";
import { ipProvider } from "../../components/fly/ip";
import { machineProvider } from "../../components/fly/machine";
import { volumeProvider } from "../../components/fly/volume";
import { configureProviders } from "./configure";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";

const token = "fake-fly-token";
let api: LocalFlyApi;
let fly: FlyClient;

beforeAll(async () => {
  api = await startFlyApi({ port: 0, token, transitionMs: 5, checkResponses: true });
  fly = new FlyClient({ token, baseUrl: api.url, env: {} });
  await configureProviders(api.url, token, [appProvider, volumeProvider, ipProvider, machineProvider]);
});

afterAll(async () => {
  await api?.close();
});

beforeEach(() => api.clearRequests());

const appInputs = (name: string) => ({ name, orgSlug: "personal", adopt: false, privateOnly: false, providerVersion: 1 });
const volumeInputs = (appName: string) => ({ appName, name: "vm_data", region: "ord", sizeGb: 1, adopt: false, allowDataLoss: false, providerVersion: 1 });
const machineInputs = (appName: string, volumeId?: string) => ({
  appName,
  name: `${appName}-1`,
  region: "ord",
  config: { image: "registry.example/app:v1", ...(volumeId ? { mounts: [{ volume: volumeId, path: "/data" }] } : {}) },
  ...(volumeId ? { volumeId } : {}),
  adopt: false,
  providerVersion: 1,
});
const pathOf = (r: { path: string }) => r.path.replace(/\?.*/, "");
/** A machine's wait or read: they follow a create whatever it found (started, then checks). */
const isMachineRead = (r: { method: string; path: string }) => r.method === "GET" && /\/machines\/[^/]+(\/wait)?$/.test(pathOf(r));
/** Every call but the machines' waits and reads. */
const calls = () => api.requests().filter((r) => !isMachineRead(r)).map((r) => `${r.method} ${pathOf(r)}`);

describe("creates in an app this process just created", () => {
  it("send one write each, with no listing before it", async () => {
    await appProvider.create!(appInputs("fresh-vm"));
    const [volume] = await Promise.all([
      volumeProvider.create!(volumeInputs("fresh-vm")),
      ipProvider.create!({ appName: "fresh-vm", type: "private_v6", orgSlug: "personal", providerVersion: 1 }),
    ]);
    await machineProvider.create!(machineInputs("fresh-vm", volume.id));
    expect(calls().sort()).toEqual(
      ["POST /v1/apps", "POST /v1/apps/fresh-vm/volumes", "POST /v1/apps/fresh-vm/ip_assignments", "POST /v1/apps/fresh-vm/machines"].sort(),
    );
    expect(api.state().machines.filter((m) => m.app === "fresh-vm")).toEqual([expect.objectContaining({ state: "started" })]);
  });

  it("list once the same create is sent again (its answer was lost), and record what the first one made", async () => {
    await appProvider.create!(appInputs("fresh-lost"));
    api.setFaults({ loseAnswers: { Volumes_create: 1 } });
    try {
      await expect(volumeProvider.create!(volumeInputs("fresh-lost"))).rejects.toThrow(/504/);
    } finally {
      api.setFaults({});
    }
    const made = api.state().volumes.filter((v) => v.app === "fresh-lost");
    expect(made).toHaveLength(1);
    api.clearRequests();
    const again = await volumeProvider.create!(volumeInputs("fresh-lost"));
    expect(again.id).toBe(made[0]!.id);
    expect(calls()).toEqual(["GET /v1/apps/fresh-lost/volumes"]);
  });

  it("take over a machine of the name that appeared meanwhile, once Fly refuses the name", async () => {
    await appProvider.create!(appInputs("fresh-race"));
    const other = await fly.machines.create("fresh-race", { name: "fresh-race-1", region: "ord", config: { image: "registry.example/app:v0" } });
    const created = await machineProvider.create!(machineInputs("fresh-race"));
    expect(created.id).toBe(other.id);
    expect(api.state().machines.filter((m) => m.app === "fresh-race")).toEqual([expect.objectContaining({ id: other.id, image: "registry.example/app:v1" })]);
  });

  it("list again in an app created by another process (an earlier up)", async () => {
    await fly.apps.create({ name: "fresh-not", orgSlug: "personal" });
    api.clearRequests();
    await ipProvider.create!({ appName: "fresh-not", type: "v6", orgSlug: "personal", providerVersion: 1 });
    expect(calls()).toEqual(["GET /v1/apps/fresh-not/ip_assignments", "POST /v1/apps/fresh-not/ip_assignments"]);
  });
});

describe("the app's check of a new name", () => {
  const noOlds = {} as ReturnType<typeof appInputs>; // a resource the state does not have yet
  it("asks Fly in a preview (checkName true, or absent) and not in an up, and never returns checkName as an input", async () => {
    api.addForeignApp("held-vm");
    const news = { ...appInputs("held-vm"), checkName: false };
    const inUp = await appProvider.check!(noOlds, news);
    expect(api.requests()).toEqual([]);
    expect(inUp.failures).toBeUndefined();
    expect(inUp.inputs).not.toHaveProperty("checkName");
    const previewNews = { ...news, checkName: true };
    const inPreview = await appProvider.check!(noOlds, previewNews);
    expect(inPreview.failures?.[0]?.reason).toContain("app name held-vm is taken by another Fly organization");
    expect((await appProvider.check!(noOlds, appInputs("held-vm"))).failures).toHaveLength(1);
    // The up's create learns the same from Fly's refusal, and says the same.
    await expect(appProvider.create!(appInputs("held-vm"))).rejects.toThrow(inPreview.failures![0]!.reason);
  });
});
