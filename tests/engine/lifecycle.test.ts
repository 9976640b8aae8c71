// One stack's whole life with the real CLI, a local file backend and the local Fly API (issue 4 §7):
// fresh up, no-op up and preview, a secret change, an image change, a machine deleted behind
// Pulumi's back, the data-loss guard on destroy, destroy, and no secret anywhere. The steps share
// one stack and run in order; each `it` states what the previous ones left behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flyToken, leakedSecrets, leftOnFly, resourceIds, startFlyStack, writes, type FlyStack } from "./fly-stack";

const newAnthropicKey = "fake-anthropic-key-rotated";


describe("textslash stack lifecycle against the local Fly API", () => {
  let s: FlyStack;
  const ids = { relayMachine: "", vmMachine: "", vmVolume: "", relayVolume: "" };
  let vmImage = "";

  const machineOf = (app: string) => {
    const found = s.api.state().machines.filter((m) => m.app === app && m.state !== "destroyed");
    expect(found, `machines of ${app}`).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "life" });
    // The token as a user keeps it: an encrypted stack secret (FLY_API_TOKEN is set too, and loses).
    await s.setConfig("flyApiToken", flyToken, true);
  }, 300_000);

  afterAll(async () => {
    await s?.close();
  });

  it("a fresh up creates exactly the expected objects with the expected config", async () => {
    await s.up();
    const st = s.api.state();
    expect([...st.apps].sort()).toEqual([s.relayApp, s.vmApp]);

    const ipTypes = (app: string) => st.ips.filter((ip) => ip.app === app).map((ip) => ip.type).sort();
    expect(ipTypes(s.relayApp)).toEqual(["private_v6", "shared_v4", "v6"]);
    expect(ipTypes(s.vmApp)).toEqual(["private_v6"]);

    const relay = machineOf(s.relayApp);
    const vm = machineOf(s.vmApp);
    ids.relayMachine = relay.id;
    ids.vmMachine = vm.id;
    // Published images run by digest: what the registry held for the configured tag.
    expect(relay).toMatchObject({ state: "started", image: s.published.relay.pinned });
    expect(vm).toMatchObject({ state: "started", image: s.published.vm.pinned });

    const volumes = st.volumes.map((v) => ({ app: v.app, name: v.name, sizeGb: v.sizeGb, attachedMachineId: v.attachedMachineId }));
    expect(volumes.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { app: s.relayApp, name: "relay_data", sizeGb: 1, attachedMachineId: relay.id },
      { app: s.vmApp, name: "vm_data", sizeGb: 3, attachedMachineId: vm.id },
    ]);
    ids.vmVolume = st.volumes.find((v) => v.name === "vm_data")!.id;
    ids.relayVolume = st.volumes.find((v) => v.name === "relay_data")!.id;

    expect([...st.secrets[s.relayApp]!.names].sort()).toEqual([
      "ALLOWED_PHONE_NUMBERS",
      "RELAY_SHARED_TOKEN",
      "TWILIO_ACCOUNT_SID",
      "TWILIO_AUTH_TOKEN",
      "TWILIO_WHATSAPP_NUMBER",
    ]);
    expect([...st.secrets[s.vmApp]!.names].sort()).toEqual(["ANTHROPIC_API_KEY", "GITHUB_TOKEN", "RELAY_SHARED_TOKEN"]);
    expect(vm.secretsVersion).toBe(st.secrets[s.vmApp]!.version);
    expect(relay.secretsVersion).toBe(st.secrets[s.relayApp]!.version);

    // The full machine configs, as Fly reports them.
    const vmLive = await s.fly.machines.get(s.vmApp, vm.id);
    expect(vmLive.region).toBe("ord");
    expect(vmLive.config).toMatchObject({
      env: { PORT: "3001", RELAY_CALLBACK_URL: "http://life-relay.internal:3000" },
      guest: { cpuKind: "shared", cpus: 1, memoryMb: 2048 },
      mounts: [{ volume: ids.vmVolume, path: "/data" }],
      services: [{ internalPort: 3001, ports: [{ port: 80 }], autostopMachines: "stop", autostartMachines: true, minMachinesRunning: 0 }],
      checks: { health: { type: "http", port: 3001, path: "/health" } },
    });
    const relayLive = await s.fly.machines.get(s.relayApp, relay.id);
    expect(relayLive.config).toMatchObject({
      env: { PORT: "3000", HOST: "::", CLAUDE_HOST: "http://life-vm.flycast", PUBLIC_URL: "https://life-relay.fly.dev", RELAY_DATA_DIR: "/data/relay" },
      guest: { memoryMb: 256 },
      mounts: [{ volume: ids.relayVolume, path: "/data" }],
      services: [{ internalPort: 3000, autostopMachines: "off", minMachinesRunning: 1 }],
    });

    const outputs = await s.project.stack.outputs();
    expect(outputs.vmMachineId?.value).toBe(vm.id);
    expect(outputs.relayMachineId?.value).toBe(relay.id);
  }, 300_000);

  it("a second up and `preview --expect-no-changes` make no write call", async () => {
    s.api.clearRequests();
    const writesBefore = s.api.writeCount(); // counts since the API started; clearRequests keeps it
    await s.up();
    const preview = await s.cli(["preview", "--expect-no-changes", "--diff"]);
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    expect(writes(s.api.requests())).toEqual([]);
    expect(s.api.writeCount() - writesBefore).toBe(0);
  }, 300_000);

  it("changing the Anthropic key rolls only the VM: its secrets and its machine, nothing on the relay", async () => {
    const before = s.api.state();
    await s.setConfig("anthropicApiKey", newAnthropicKey, true);
    const preview = await s.cli(["preview", "--diff"]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/vm-secrets/);
    expect(preview.stdout).not.toMatch(/relay-secrets/);

    s.api.clearRequests();
    await s.up();
    const written = writes(s.api.requests());
    expect(written.length).toBeGreaterThan(0);
    for (const w of written) expect(w).toContain(`/apps/${s.vmApp}/`);
    expect(written).toContain(`POST /v1/apps/${s.vmApp}/secrets`);
    expect(written).toContain(`POST /v1/apps/${s.vmApp}/machines/${ids.vmMachine}`);

    const after = s.api.state();
    expect(after.secrets[s.vmApp]!.version).toBeGreaterThan(before.secrets[s.vmApp]!.version);
    expect(after.secrets[s.relayApp]!.version).toBe(before.secrets[s.relayApp]!.version);
    expect(machineOf(s.vmApp)).toMatchObject({ id: ids.vmMachine, secretsVersion: after.secrets[s.vmApp]!.version });
    expect(machineOf(s.relayApp)).toMatchObject({ id: ids.relayMachine, secretsVersion: before.secrets[s.relayApp]!.version });
  }, 300_000);

  it("a new textslash:tokenRotation replaces the relay↔VM token: both apps' secrets change and each machine rolls once", async () => {
    const before = s.api.state();
    await s.setConfig("tokenRotation", "2026-12");
    const preview = await s.cli(["preview", "--diff"]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/\+-random:index\/randomPassword:RandomPassword: \(replace\)/);
    s.api.clearRequests();
    await s.up();
    const written = writes(s.api.requests());
    for (const [app, machine] of [[s.relayApp, ids.relayMachine], [s.vmApp, ids.vmMachine]] as const) {
      expect(written.filter((w) => w === `POST /v1/apps/${app}/secrets`), app).toHaveLength(1);
      expect(written.filter((w) => w === `POST /v1/apps/${app}/machines/${machine}`), app).toHaveLength(1);
      expect(s.api.state().secrets[app]!.version).toBeGreaterThan(before.secrets[app]!.version);
    }
    // Settled: the next up writes nothing.
    s.api.clearRequests();
    await s.up();
    expect(writes(s.api.requests())).toEqual([]);
  }, 300_000);

  it("a new vmImage updates the VM machine in place under a lease", async () => {
    const v2 = await s.publish("vm", "v2");
    await s.setConfig("vmImage", v2.ref);
    s.api.clearRequests();
    await s.up();
    const machinePath = `/v1/apps/${s.vmApp}/machines/${ids.vmMachine}`;
    // Exactly: take the lease, update with its nonce, give the lease back.
    expect(writes(s.api.requests())).toEqual([`POST ${machinePath}/lease`, `POST ${machinePath}`, `DELETE ${machinePath}/lease`]);
    for (const r of s.api.requests()) expect(r.status, `${r.method} ${r.path}`).toBeLessThan(300);
    expect(machineOf(s.vmApp)).toMatchObject({ id: ids.vmMachine, image: v2.pinned, state: "started" });
    vmImage = v2.pinned;
    const volume = s.api.state().volumes.find((v) => v.name === "vm_data");
    expect(volume).toMatchObject({ id: ids.vmVolume, attachedMachineId: ids.vmMachine });

    // The update above only went through with the lease's nonce: the API refuses a leased
    // machine's update without it (checked here, so the claim rests on the API's behaviour).
    const lease = await s.fly.leases.acquire(s.vmApp, ids.vmMachine, { ttlSeconds: 30 });
    const live = await s.fly.machines.get(s.vmApp, ids.vmMachine);
    await expect(s.fly.machines.update(s.vmApp, ids.vmMachine, { config: live.config })).rejects.toMatchObject({ status: 409 });
    await s.fly.leases.release(s.vmApp, ids.vmMachine, lease.nonce);
  }, 300_000);

  it("a machine deleted and a public address added behind Pulumi's back are noticed by refresh and repaired by the next up", async () => {
    await s.fly.machines.delete(s.vmApp, ids.vmMachine, { force: true });
    const stray = await s.fly.ips.create(s.vmApp, { type: "shared_v4" });
    await s.fly.machines.waitForState(s.vmApp, ids.vmMachine, { state: "destroyed", timeoutMs: 30_000 });
    const refresh = await s.cli(["refresh", "--yes", "--skip-preview"]);
    expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
    expect(await resourceIds(s)).not.toContain(ids.vmMachine);

    s.api.clearRequests();
    await s.up();
    const written = writes(s.api.requests());
    expect(written).toContain(`POST /v1/apps/${s.vmApp}/machines`);
    // refresh read everything else back as unchanged: nothing else is rolled.
    expect(written.filter((w) => w.includes(`/apps/${s.relayApp}/`))).toEqual([]);
    const vm = machineOf(s.vmApp);
    expect(vm.id).not.toBe(ids.vmMachine);
    expect(vm).toMatchObject({ state: "started", image: vmImage });
    expect(s.api.state().volumes.find((v) => v.name === "vm_data")).toMatchObject({ id: ids.vmVolume, attachedMachineId: vm.id });
    ids.vmMachine = vm.id;
    // The VM is private: the stray public address is released.
    expect(written).toContain(`DELETE /v1/apps/${s.vmApp}/ip_assignments/${stray.ip}`);
    expect(s.api.state().ips.filter((ip) => ip.app === s.vmApp).map((ip) => ip.type)).toEqual(["private_v6"]);
  }, 300_000);

  it("destroy without textslash:allowDataLoss fails, names the key and deletes nothing", async () => {
    const before = s.api.state();
    s.api.clearRequests();
    const result = await s.cli(["destroy", "--yes", "--skip-preview"]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("textslash:allowDataLoss");
    expect(writes(s.api.requests())).toEqual([]);
    expect(s.api.state()).toEqual(before);
    expect(s.api.state().volumes.find((v) => v.name === "vm_data")).toMatchObject({ id: ids.vmVolume, app: s.vmApp });
  }, 300_000);

  it("no secret value appears in the state file, the engine's output, stack outputs or the API log", async () => {
    const exported = await s.cli(["stack", "export"]);
    const outputs = await s.cli(["stack", "output", "--json"]);
    const texts = {
      state: await s.project.readStateFile(),
      export: exported.stdout,
      outputs: outputs.stdout,
      transcript: s.transcript.join("\n"),
      apiLog: s.apiLog.join("\n") + JSON.stringify(s.api.requests()),
    };
    // The generated relay↔VM token too: read it the way only an operator can (not recorded in
    // the transcript), then look for it everywhere else.
    const revealed = JSON.parse((await s.project.cli(["stack", "export", "--show-secrets"])).stdout) as {
      deployment: { resources: { type: string; outputs?: { result?: { plaintext?: string } } }[] };
    };
    // A revealed secret is {<secret signature>, plaintext: <the value, JSON-encoded>}.
    const plaintext = revealed.deployment.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword")?.outputs?.result?.plaintext;
    const sharedToken = plaintext ? (JSON.parse(plaintext) as string) : "";
    expect(sharedToken.length).toBeGreaterThanOrEqual(32);
    for (const [where, text] of Object.entries(texts)) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(leakedSecrets(text, [newAnthropicKey, sharedToken]), where).toEqual([]);
    }
    // The scan can fail: the secret really is in the program's config, encrypted.
    expect(texts.state).toContain("ciphertext");
  }, 300_000);

  it("no provider's state holds the stack's configuration: the Fly token is in the Fly API provider only, encrypted", async () => {
    type StateResource = { urn: string; type: string; inputs?: Record<string, unknown> };
    const resources = (JSON.parse(await s.project.readStateFile()) as { checkpoint: { latest: { resources: StateResource[] } } }).checkpoint.latest.resources;
    const providers = resources.filter((r) => r.type.startsWith("pulumi:providers:"));
    // No default pulumi-nodejs provider, which the engine would configure with every key of the stack.
    const nodejs = providers.filter((r) => r.type === "pulumi:providers:pulumi-nodejs");
    expect(nodejs.map((r) => r.urn.split("::").pop())).toEqual(["textslash-fly-api"]);
    expect(Object.keys(nodejs[0]!.inputs ?? {}).sort()).toEqual(["textslash:flyApiToken", "textslash:flyApiUrl"]);
    expect(nodejs[0]!.inputs!["textslash:flyApiToken"]).toHaveProperty("ciphertext");
    for (const p of providers) {
      const keys = Object.keys(p.inputs ?? {}).filter((k) => k.startsWith("textslash:"));
      expect(keys.filter((k) => k !== "textslash:flyApiToken" && k !== "textslash:flyApiUrl"), p.urn).toEqual([]);
    }
    // The registry password given to docker (the same token) is only ever a secret: the docker
    // provider's registryAuth, and each image's registry input (with published images, the stack
    // has the provider only).
    const dockerProvider = providers.find((r) => r.type === "pulumi:providers:docker")!;
    expect(dockerProvider.inputs!.registryAuth).toHaveProperty("ciphertext");
    for (const image of resources.filter((r) => r.type === "docker:index/image:Image")) expect(image.inputs!.registry, image.urn).toHaveProperty("password.ciphertext");
    // The ciphertext really is the token (decrypted the way only an operator can).
    const revealed = JSON.parse((await s.project.cli(["stack", "export", "--show-secrets"])).stdout) as { deployment: { resources: StateResource[] } };
    const token = revealed.deployment.resources.find((r) => r.urn.endsWith("::textslash-fly-api"))!.inputs!["textslash:flyApiToken"] as { plaintext: string };
    expect(JSON.parse(token.plaintext)).toBe(flyToken);
  }, 300_000);

  it("with allowDataLoss recorded by an up, destroy leaves nothing of the stack", async () => {
    await s.setConfig("allowDataLoss", "true");
    await s.up();
    const result = await s.cli(["destroy", "--yes", "--skip-preview"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(leftOnFly(s)).toEqual({ apps: [], machines: [], volumes: [], ips: [], secrets: [] });
  }, 300_000);
});
