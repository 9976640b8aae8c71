// FlyVolume.read (what `pulumi refresh` runs) when the volume is gone from Fly: refused, with the
// exact words, unless data loss is allowed (recorded, or TEXTSLASH_ALLOW_DATA_LOSS=true), in which
// case it is dropped and said so on stderr. The engine side is tests/engine/volume-refresh.test.ts.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { appProvider } from "../../components/fly/app";
import { FlyClient } from "../../components/fly/client";
import { volumeProvider } from "../../components/fly/volume";
import { volumeGoneMessage } from "../../components/fly/volume-gone";
import { ALLOW_DATA_LOSS_ENV } from "../../components/data-loss-consent";
import { configureProviders } from "./configure";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";
import { writes } from "../engine/fly-stack";

const token = "fake-fly-token";
let api: LocalFlyApi;
let fly: FlyClient;

beforeAll(async () => {
  api = await startFlyApi({ port: 0, token, transitionMs: 5 });
  fly = new FlyClient({ token, baseUrl: api.url, env: {} });
  await configureProviders(api.url, token, [appProvider, volumeProvider]);
});
afterAll(async () => api?.close());
beforeEach(() => {
  api.clearRequests();
  vi.stubEnv(ALLOW_DATA_LOSS_ENV, "");
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const inputs = (appName: string, allowDataLoss = false) => ({ appName, name: "vm_data", region: "ord", sizeGb: 1, adopt: false, allowDataLoss, providerVersion: 1 });

/** An app with a vm_data volume, as an up leaves it; returns the volume's outputs. */
async function deployed(appName: string, allowDataLoss = false): Promise<{ id: string; outs: Record<string, unknown> }> {
  await appProvider.create!({ name: appName, orgSlug: "personal", adopt: false, privateOnly: true, allowDataLoss, providerVersion: 1 });
  const created = await volumeProvider.create!(inputs(appName, allowDataLoss));
  return { id: created.id, outs: created.outs as Record<string, unknown> };
}

/** What read threw, or undefined when it resolved. */
const thrown = (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: unknown) => (e as Error).message);

describe("a refresh that finds /data's volume gone", () => {
  it("deleted behind Pulumi's back (Fly lists it as going): refuses, saying what and how, and changes nothing", async () => {
    const v = await deployed("gone-deleted");
    await fly.volumes.delete("gone-deleted", v.id);
    // Where scheduling_destroy leads within moments; set now, so the words below are exact.
    api.setVolumeState(v.id, "pending_destroy");
    api.clearRequests();
    const message = await thrown(volumeProvider.read!(v.id, v.outs as never));
    expect(message).toBe(volumeGoneMessage(v.id, { appName: "gone-deleted", name: "vm_data", allowDataLoss: false }, { state: "pending_destroy" }, false));
    expect(message).toMatch(new RegExp(`^refresh found volume ${v.id} \\(vm_data, /data of gone-deleted\\) gone: Fly lists it as deleted \\(pending_destroy\\)\\. `));
    expect(message).toContain("the inbox, Claude sessions and every cloned repository");
    expect(message).toContain("`pulumi config set textslash:restoreFromSnapshot latest`");
    expect(message).toContain(`\`${ALLOW_DATA_LOSS_ENV}=true pulumi refresh\``);
    expect(writes(api.requests())).toEqual([]);
  });

  it("a 404 for the volume (its app still there): refuses, saying Fly answers 404", async () => {
    const v = await deployed("gone-404");
    const message = await thrown(volumeProvider.read!("vol_neverexisted0", { ...v.outs, volumeId: "vol_neverexisted0" } as never));
    expect(message).toMatch(/^refresh found volume vol_neverexisted0 \(vm_data, \/data of gone-404\) gone: Fly answers 404 for it\. /);
  });

  it("its app deleted too: refuses, saying so, and offers no snapshot (Fly deleted them with the app)", async () => {
    const v = await deployed("gone-app", false);
    await appProvider.delete!("gone-app", { ...v.outs, name: "gone-app", orgSlug: "personal", adopt: false, allowDataLoss: true, providerVersion: 1 } as never);
    const message = await thrown(volumeProvider.read!(v.id, v.outs as never));
    expect(message).toMatch(new RegExp(`^refresh found volume ${v.id} \\(vm_data, /data of gone-app\\) gone: the app gone-app is gone too, and Fly deletes an app's volumes and their snapshots with it\\. `));
    expect(message).not.toContain("restoreFromSnapshot");
  });

  it("allowed by the recorded setting or for one command: dropped, and said so on stderr", async () => {
    const recorded = await deployed("gone-allowed", true);
    await fly.volumes.delete("gone-allowed", recorded.id);
    const said = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await expect(volumeProvider.read!(recorded.id, recorded.outs as never)).resolves.toEqual({});
    expect(said).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`^volume ${recorded.id} \\(vm_data, /data of gone-allowed\\) is gone from Fly: Fly lists it as deleted \\((scheduling|pending)_destroy\\)\\. Data loss is allowed, so refresh drops it from the state`)));

    const v = await deployed("gone-env");
    await fly.volumes.delete("gone-env", v.id);
    await expect(thrown(volumeProvider.read!(v.id, v.outs as never))).resolves.toMatch(/^refresh found volume/);
    vi.stubEnv(ALLOW_DATA_LOSS_ENV, "true");
    await expect(volumeProvider.read!(v.id, v.outs as never)).resolves.toEqual({});
  });

  it("a live volume reads back as before (no extra call)", async () => {
    const v = await deployed("gone-not");
    api.clearRequests();
    await expect(volumeProvider.read!(v.id, v.outs as never)).resolves.toMatchObject({ id: v.id, props: { volumeId: v.id } });
    expect(api.requests().map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/apps/gone-not/volumes/${v.id}`]);
  });
});
