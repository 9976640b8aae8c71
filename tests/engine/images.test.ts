// Issue 15: `pulumi up` ships this checkout. The real program, the real CLI, the docker stand-in
// building services/relay and services/vm with podman and pushing them to a local registry as
// {registry}/{app}, the local Fly API: a fresh up deploys both images by digest; a second up builds
// nothing and writes nothing; an edit under services/vm (then services/relay) shows in preview as
// that service's image and machine only and rolls only that machine; a published image is resolved
// to its digest on every up, so a tag published again rolls the machine; destroy leaves nothing on
// Fly and the registry keeps the pushed images (docker.Image deletes no tag, as documented).
// Slow: real image builds (the first one of a machine also builds the base images).
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podman } from "../../sandbox/images/podman";
import { flyToken, leftOnFly, startFlyStack, writes, type FlyStack } from "./fly-stack";

describe("up builds and ships this checkout's services", () => {
  let s: FlyStack;
  const digests = { relay: "", vm: "" };

  const machineOf = (app: string) => {
    const found = s.api.state().machines.filter((m) => m.app === app && m.state !== "destroyed");
    expect(found, `machines of ${app}`).toHaveLength(1);
    return found[0]!;
  };
  const pushed = async (app: string) => {
    const digest = await s.registry.digestOf(app, "latest");
    expect(digest, `${app}:latest in the registry`).toMatch(/^sha256:[0-9a-f]{64}$/);
    return `${s.registry.host}/${app}@${digest}`;
  };

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "ship", buildImages: true });
  }, 300_000);

  afterAll(async () => {
    if (s) await podman(["rmi", "--ignore", `${s.registry.host}/${s.relayApp}:latest`, `${s.registry.host}/${s.vmApp}:latest`]).catch(() => undefined);
    await s?.close();
  });

  it("a fresh up builds both images, pushes them to {registry}/{app} and runs each machine by the pushed digest", async () => {
    await s.up();
    digests.relay = await pushed(s.relayApp);
    digests.vm = await pushed(s.vmApp);
    expect(machineOf(s.relayApp)).toMatchObject({ state: "started", image: digests.relay });
    expect(machineOf(s.vmApp)).toMatchObject({ state: "started", image: digests.vm });
  }, 3_600_000);

  it("the registry password (the Fly token) is only ever a secret in the state", async () => {
    const state = await s.project.readStateFile();
    expect(state).not.toContain(flyToken);
    type StateResource = { type: string; urn: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
    const resources = (JSON.parse(state) as { checkpoint: { latest: { resources: StateResource[] } } }).checkpoint.latest.resources;
    const images = resources.filter((r) => r.type === "docker:index/image:Image");
    expect(images.map((r) => r.urn.split("::").pop()).sort()).toEqual(["relay-image", "vm-image"]);
    for (const image of images) {
      // The engine marks secret what the program gave as secret: the password inside `registry`.
      expect(image.inputs!.registry, image.urn).toHaveProperty("password.ciphertext");
      expect(image.outputs!.__inputs, image.urn).toHaveProperty("ciphertext");
    }
  }, 300_000);

  it("a second up and a preview of the unchanged checkout build nothing and write nothing", async () => {
    s.api.clearRequests();
    const preview = await s.cli(["preview", "--expect-no-changes"]);
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    const up = await s.cli(["up", "--yes", "--skip-preview"]);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).not.toMatch(/docker:index\/image:Image.*updat/);
    expect(writes(s.api.requests())).toEqual([]);
    expect(await pushed(s.relayApp)).toBe(digests.relay);
    expect(await pushed(s.vmApp)).toBe(digests.vm);
  }, 900_000);

  it("an edit under services/vm is the VM's image and machine only in preview, and up rolls only the VM", async () => {
    await appendFile(join(s.project.dir, "services", "vm", "src", "server.ts"), "// edited by tests/engine/images.test.ts\n");
    const preview = await s.cli(["preview", "--diff"]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/~ docker:index\/image:Image: \(update\)\n\s+\[id=[^\]]*ship-vm:latest\]/);
    expect(preview.stdout).toMatch(/textslash:fly:Service\$pulumi-nodejs:dynamic\/textslash:FlyMachine::vm-machine/);
    expect(preview.stdout).not.toMatch(/ship-relay:latest\]/);
    expect(preview.stdout).not.toMatch(/FlyMachine::relay-machine/);
    // The VM's image and machine, and the deployment check (its revision covers every machine config).
    expect(preview.stdout).toMatch(/command:local:Command::textslash-deployment-check/);
    expect(preview.stdout).toMatch(/3 to update/);

    s.api.clearRequests();
    await s.up();
    const vm = machineOf(s.vmApp);
    const machinePath = `/v1/apps/${s.vmApp}/machines/${vm.id}`;
    expect(writes(s.api.requests())).toEqual([`POST ${machinePath}/lease`, `POST ${machinePath}`, `DELETE ${machinePath}/lease`]);
    const newVm = await pushed(s.vmApp);
    expect(newVm).not.toBe(digests.vm);
    expect(vm.image).toBe(newVm);
    expect(machineOf(s.relayApp).image).toBe(digests.relay);
    expect(await pushed(s.relayApp)).toBe(digests.relay);
    digests.vm = newVm;
  }, 1_800_000);

  it("an edit under services/relay rolls only the relay", async () => {
    await appendFile(join(s.project.dir, "services", "relay", "src", "server.ts"), "// edited by tests/engine/images.test.ts\n");
    const preview = await s.cli(["preview", "--diff"]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/\[id=[^\]]*ship-relay:latest\]/);
    expect(preview.stdout).not.toMatch(/ship-vm:latest\]/);
    expect(preview.stdout).not.toMatch(/FlyMachine::vm-machine/);
    s.api.clearRequests();
    await s.up();
    const relay = machineOf(s.relayApp);
    expect(writes(s.api.requests()).every((w) => w.includes(`/apps/${s.relayApp}/machines/${relay.id}`))).toBe(true);
    expect(relay.image).toBe(await pushed(s.relayApp));
    expect(relay.image).not.toBe(digests.relay);
    expect(machineOf(s.vmApp).image).toBe(digests.vm);
  }, 1_800_000);

  it("a published VM image runs by its digest, and the same tag published again rolls the VM on the next up", async () => {
    const v1 = await s.publish("vm", "stable");
    await s.setConfig("vmImage", v1.ref);
    await s.up();
    expect(machineOf(s.vmApp).image).toBe(v1.pinned);
    const again = await s.publish("vm", "stable");
    const preview = await s.cli(["preview", "--diff"]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toContain(again.digest);
    expect(preview.stdout).toMatch(/FlyMachine::vm-machine/);
    s.api.clearRequests();
    await s.up();
    expect(machineOf(s.vmApp).image).toBe(again.pinned);
    expect(writes(s.api.requests()).every((w) => w.includes(`/apps/${s.vmApp}/`))).toBe(true);
  }, 900_000);

  it("destroy leaves nothing on Fly; the registry keeps the pushed images", async () => {
    await s.setConfig("allowDataLoss", "true");
    await s.up();
    const result = await s.cli(["destroy", "--yes", "--skip-preview"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(leftOnFly(s)).toEqual({ apps: [], machines: [], volumes: [], ips: [], secrets: [] });
    expect(await s.registry.digestOf(s.relayApp, "latest")).toBeDefined();
  }, 900_000);
});
