// The app's check() asks Fly who holds a name before anything is created, so `pulumi preview` reports
// a taken name with the key to change (issue 19.3). Driven against the local Fly API, which answers an
// app of another organization with 403 as Fly does (fly-go flaps_apps.go AppNameAvailable).
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appProvider } from "../../components/fly/app";
import { FlyClient } from "../../components/fly/client";
import { configureProviders } from "./configure";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";

const token = "fake-fly-token";
let api: LocalFlyApi;
let fly: FlyClient;

beforeAll(async () => {
  api = await startFlyApi({ port: 0, token, transitionMs: 5, checkResponses: true });
  fly = new FlyClient({ token, baseUrl: api.url, env: {} });
  await configureProviders(api.url, token, [appProvider]);
});

afterAll(async () => {
  await api?.close();
});

beforeEach(() => api.clearRequests());

const inputs = (name: string, adopt = false) => ({ name, orgSlug: "personal", adopt, privateOnly: false, providerVersion: 1 });
const log = () => api.requests().map((r) => `${r.method} ${r.path} ${r.status}`);
const check = (news: ReturnType<typeof inputs>, olds: Partial<ReturnType<typeof inputs>> = {}) => appProvider.check!(olds as ReturnType<typeof inputs>, news);

describe("the app's check asks who holds a new name", () => {
  it("a free name passes after one read, as fly-go's AppNameAvailable reads it", async () => {
    const result = await check(inputs("free-relay"));
    expect(result.failures).toBeUndefined();
    expect(result.inputs).toEqual(inputs("free-relay"));
    expect(log()).toEqual(["GET /v1/apps/free-relay 404"]);
  });

  it("a name another organization holds (403) fails on `name`, naming textslash:prefix", async () => {
    api.addForeignApp("prod-relay");
    for (const adopt of [false, true]) {
      const result = await check(inputs("prod-relay", adopt));
      expect(result.failures).toEqual([
        {
          property: "name",
          reason:
            "app name prod-relay is taken by another Fly organization (Fly answers 403 to reading it; this stack's organization is personal). " +
            'App names are global: choose another prefix with `pulumi config set textslash:prefix <new-prefix>` (now "prod") and run `pulumi up` again.',
        },
      ]);
    }
  });

  it("an app of the organization with a volume fails unless adoptExisting is set; an empty one passes", async () => {
    await fly.apps.create({ name: "used-vm", orgSlug: "personal" });
    await fly.apps.create({ name: "empty-vm", orgSlug: "personal" });
    await fly.volumes.create("used-vm", { name: "vm_data", region: "ord", sizeGb: 3 });
    expect((await check(inputs("used-vm"))).failures).toEqual([
      {
        property: "name",
        reason:
          "app used-vm already exists in organization personal with 0 machine(s) and 1 volume(s). " +
          "If it is your earlier deployment (the setup script's), set `pulumi config set textslash:adoptExisting true` to take it over; " +
          'otherwise choose another prefix with `pulumi config set textslash:prefix <new-prefix>` (now "used").',
      },
    ]);
    expect((await check(inputs("used-vm", true))).failures).toBeUndefined();
    expect((await check(inputs("empty-vm"))).failures).toBeUndefined();
  });

  it("an app of another of the user's organizations fails, naming textslash:org and textslash:prefix", async () => {
    await fly.apps.create({ name: "mine-relay", orgSlug: "work" });
    expect((await check(inputs("mine-relay"))).failures?.[0]?.reason).toBe(
      "app mine-relay already exists in your Fly organization work, not in this stack's personal. " +
        'Deploy there with `pulumi config set textslash:org work`, or choose another prefix with `pulumi config set textslash:prefix <new-prefix>` (now "mine").',
    );
  });

  it("a name already in state is not asked about again", async () => {
    api.addForeignApp("kept-relay");
    expect((await check(inputs("kept-relay"), inputs("kept-relay"))).failures).toBeUndefined();
    expect(log()).toEqual([]);
  });

  it("a failure that says nothing about the name (Fly unreachable) is left to create", async () => {
    const unreachable = { config: { get: (key: string) => ({ "textslash:flyApiUrl": "http://127.0.0.1:9", "textslash:flyApiToken": token })[key] } };
    await appProvider.configure!(unreachable as unknown as pulumi.dynamic.ConfigureRequest);
    try {
      expect((await check(inputs("anything-relay"))).failures).toBeUndefined();
    } finally {
      await configureProviders(api.url, token, [appProvider]);
    }
  });
});
