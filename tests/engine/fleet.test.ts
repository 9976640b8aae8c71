// Issue 17: the fleet, through the real engine. Three users declared in a fleet file become three
// stacks of the real program against the local Fly API (apps, volumes and secrets of their own); a
// second `fleet up` writes nothing; a tier switch is an in-place update of the VM machine only; a
// rollout skips a VM that reports work (asked through the Machines API's exec) and updates it once
// idle; a failing canary halts the rollout with nobody else touched; removing a user is refused
// without consent to lose /data, and with it leaves nothing of that user on Fly.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as automation from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";
import { HEALTH_COMMAND } from "../../fleet/activity";
import { FleetEngine } from "../../fleet/engine";
import { readFleet, setSharedImages } from "../../fleet/files";
import { fleetRemove, fleetRollout, fleetUp, flyClientFor, type FleetContext } from "../../fleet/operations";
import { fleetStatus } from "../../fleet/status";
import { createEngineProject, pulumiBinDir, type EngineProject } from "./harness";
import { fakeAccountSid, fakeSecrets, flyToken, leakedSecrets, programFiles, stackEnv, writes } from "./fly-stack";
import { startTestRegistry, type Published, type TestRegistry } from "./test-registry";

describe("a fleet of three users", () => {
  let api: LocalFlyApi;
  let registry: TestRegistry;
  let project: EngineProject;
  let dir: string;
  let fleetFile: string;
  let ctx: FleetContext;
  const lines: string[] = [];
  const v1: { relay?: Published; vm?: Published } = {};
  const savedToken = process.env.FLY_API_TOKEN;

  const vmOf = (user: string) => api.state().machines.find((m) => m.app === `ft-${user}-vm` && m.state !== "destroyed")!;
  const reload = async () => {
    ctx = { ...ctx, fleet: await readFleet(fleetFile) };
  };
  const writesTo = (user: string) => writes(api.requests()).filter((w) => w.includes(`/apps/ft-${user}-`));

  beforeAll(async () => {
    api = await startFlyApi({ port: 0, token: flyToken, log: () => undefined });
    registry = await startTestRegistry();
    v1.relay = await registry.publish("textslash-relay", "v1");
    v1.vm = await registry.publish("textslash-vm", "v1");
    // A failing update gives up in seconds, not the default minutes.
    project = await createEngineProject({ copyFromRepo: programFiles, env: { ...stackEnv(api.url), TEXTSLASH_ROLLOUT_TIMEOUT_SECONDS: "15" } });
    dir = await mkdtemp(join(tmpdir(), "fleet-test-"));
    fleetFile = join(dir, "fleet.yaml");
    await writeFile(
      fleetFile,
      [
        "# the test fleet (values are fake)",
        "fleet: ft",
        "shared:",
        "  tier: webhook",
        `  relayImage: ${v1.relay.ref}`,
        `  vmImage: ${v1.vm.ref}`,
        `  imageRegistry: ${registry.address}`,
        `  twilioAccountSid: ${fakeAccountSid}`,
        '  twilioWhatsappNumber: "+14155238886"',
        "users:",
        '  - { id: alice, allowedNumbers: ["+15550000001"] }',
        '  - { id: bob, allowedNumbers: ["+15550000002"], volumeSizeGb: 4 }',
        '  - { id: carol, allowedNumbers: ["+15550000003"], tier: always-on }',
        "",
      ].join("\n"),
    );
    const binDir = await pulumiBinDir();
    // The fleet runs the program inline, in this process, which reads FLY_API_TOKEN as `pulumi up` would.
    process.env.FLY_API_TOKEN = project.env.FLY_API_TOKEN;
    const engine = new FleetEngine({
      projectDir: project.dir,
      env: project.env,
      pulumiCommand: await automation.PulumiCommand.get({ root: dirname(binDir), skipVersionCheck: true }),
      pulumiHome: project.env.PULUMI_HOME!,
    });
    ctx = {
      engine,
      fleet: await readFleet(fleetFile),
      secrets: { shared: { twilioAuthToken: fakeSecrets.twilioAuthToken, anthropicApiKey: fakeSecrets.anthropicApiKey }, users: { bob: { githubToken: fakeSecrets.githubToken } } },
      log: (line) => lines.push(line),
      concurrency: 3,
    };
  }, 600_000);

  afterAll(async () => {
    if (savedToken === undefined) delete process.env.FLY_API_TOKEN;
    else process.env.FLY_API_TOKEN = savedToken;
    await api?.close();
    await registry?.stop();
    await project?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("fleet up gives each user their own apps, /data volume and secrets, with the tier's autostop", async () => {
    const report = await fleetUp(ctx);
    expect(report.users.map((u) => [u.user, u.ok, u.error ?? ""])).toEqual([["alice", true, ""], ["bob", true, ""], ["carol", true, ""]]);
    const st = api.state();
    for (const user of ["alice", "bob", "carol"]) {
      expect(st.apps).toEqual(expect.arrayContaining([`ft-${user}-relay`, `ft-${user}-vm`]));
      expect(st.volumes.filter((v) => v.app === `ft-${user}-vm` && v.name === "vm_data")).toHaveLength(1);
      expect(st.secrets[`ft-${user}-vm`]?.names).toContain("ANTHROPIC_API_KEY");
      expect(vmOf(user).image).toBe(v1.vm!.pinned);
    }
    expect(st.volumes.find((v) => v.app === "ft-bob-vm")!.sizeGb).toBe(4);
    expect(st.secrets["ft-bob-vm"]?.names).toContain("GITHUB_TOKEN");
    expect(st.secrets["ft-alice-vm"]?.names).not.toContain("GITHUB_TOKEN");
    const autostop = async (user: string) => (await flyClientFor(ctx).machines.get(`ft-${user}-vm`, vmOf(user).id)).config.services?.[0]?.autostopMachines;
    expect(await autostop("alice")).toBe("suspend");
    expect(await autostop("carol")).toBe("off");
    // The fleet resolved each tag once and gave every stack the digest: no stack has a docker
    // provider (it would start docker's plugin on every up of every user) or asked the registry.
    const states = await project.readStateFile();
    expect(states).not.toContain("pulumi:providers:docker");
    expect(await readFile(join(project.dir, "Pulumi.ft-alice.yaml"), "utf8")).toContain(`textslash:vmImage: ${v1.vm!.ref}@${v1.vm!.digest}`);
    // Secrets only ever encrypted: not in any stack's state, nor in the fleet's log.
    expect(leakedSecrets(states + lines.join("\n"))).toEqual([]);
  }, 900_000);

  it("a second fleet up changes nothing: no write call reaches Fly", async () => {
    api.clearRequests();
    const report = await fleetUp(ctx);
    expect(report.users.every((u) => u.ok)).toBe(true);
    expect(report.users.map((u) => u.configChanged)).toEqual([0, 0, 0]);
    expect(writes(api.requests())).toEqual([]);
    expect(report.users.flatMap((u) => Object.keys(u.changes).filter((op) => op !== "same"))).toEqual([]);
  }, 900_000);

  it("switching a user's tier updates their VM machine in place: /data is neither deleted nor replaced", async () => {
    const before = vmOf("bob");
    const volume = api.state().volumes.find((v) => v.app === "ft-bob-vm")!;
    await writeFile(fleetFile, (await readFile(fleetFile, "utf8")).replace('volumeSizeGb: 4 }', "volumeSizeGb: 4, tier: always-on }"));
    await reload();
    api.clearRequests();
    const report = await fleetUp(ctx, ["bob"]);
    expect(report.users[0]!.ok).toBe(true);
    const machinePath = `/v1/apps/ft-bob-vm/machines/${before.id}`;
    expect(writes(api.requests())).toEqual([`POST ${machinePath}/lease`, `POST ${machinePath}`, `DELETE ${machinePath}/lease`]);
    expect(vmOf("bob").id).toBe(before.id);
    expect(api.state().volumes.find((v) => v.app === "ft-bob-vm")).toMatchObject({ id: volume.id, attachedMachineId: before.id });
  }, 900_000);

  it("a rollout skips a VM that is working and updates it in a later wave, once it is idle", async () => {
    const v2 = await registry.publish("textslash-vm", "v2");
    await setSharedImages(fleetFile, { vmImage: v2.ref });
    await reload();
    // The VMs' processes, as exec sees them: bob's is working for its first check, then idle.
    let bobChecks = 0;
    const imageOfBobWhenBusy: string[] = [];
    api.setExecResponder((machine, command) => {
      expect(command).toEqual(HEALTH_COMMAND);
      let running = 0;
      if (machine.app === "ft-bob-vm" && ++bobChecks === 1) {
        running = 1;
        imageOfBobWhenBusy.push(machine.image);
      }
      return { stdout: JSON.stringify({ ok: true, running, queued: 0 }) };
    });
    api.clearRequests();
    const progressFile = join(dir, "rollout-v2.json");
    const report = await fleetRollout(ctx, { waveSize: 2, canary: 1, maxFailures: 0, busyRetries: 3, busyPauseMs: 0, progressFile });
    api.setExecResponder(undefined);

    expect(report.halted).toBeUndefined();
    expect(report.failed).toEqual([]);
    expect(report.skipped).toEqual([]);
    expect(report.updated).toEqual(["alice", "carol", "bob"]);
    expect(imageOfBobWhenBusy).toEqual([v1.vm!.pinned]);
    expect(bobChecks).toBe(2);
    for (const user of ["alice", "bob", "carol"]) expect(vmOf(user).image).toBe(v2.pinned);
    expect(lines.some((l) => /bob: busy \(working: 1 running, 0 queued\)/.test(l))).toBe(true);
    const progress = JSON.parse(await readFile(progressFile, "utf8")) as { users: Record<string, { status: string; wave: number }> };
    expect(progress.users).toMatchObject({ alice: { status: "updated", wave: 1 }, carol: { status: "updated", wave: 2 }, bob: { status: "updated", wave: 3 } });
    expect(writes(api.requests()).filter((w) => w.endsWith("/exec")).length).toBe(4);

    // Run again, the same target: every user is finished, nothing is redone.
    api.clearRequests();
    const again = await fleetRollout(ctx, { waveSize: 2, canary: 1, maxFailures: 0, busyRetries: 3, busyPauseMs: 0, progressFile });
    expect(again.updated).toEqual([]);
    expect(again.alreadyUpdated).toEqual(["alice", "bob", "carol"]);
    expect(writes(api.requests())).toEqual([]);
  }, 1_200_000);

  it("a failing canary halts the rollout: nobody else is touched", async () => {
    const v3 = await registry.publish("textslash-vm", "v3");
    await setSharedImages(fleetFile, { vmImage: v3.ref });
    await reload();
    api.setFaults({ failingChecks: { health: "fake probe: v3 does not start" } });
    api.setExecResponder(() => ({ stdout: JSON.stringify({ ok: true, running: 0, queued: 0 }) }));
    api.clearRequests();
    const report = await fleetRollout(ctx, { waveSize: 2, canary: 1, maxFailures: 5, busyRetries: 0, busyPauseMs: 0, progressFile: join(dir, "rollout-v3.json") });
    api.setFaults({});
    api.setExecResponder(undefined);
    expect(report.halted).toMatch(/canary wave failed/);
    expect(report.failed.map((f) => f.user)).toEqual(["alice"]);
    expect(report.failed[0]!.why).toContain("fake probe: v3 does not start");
    expect(report.notAttempted).toEqual(["bob", "carol"]);
    expect(writesTo("bob")).toEqual([]);
    expect(writesTo("carol")).toEqual([]);
    expect(vmOf("bob").image).not.toBe(v3.pinned);
    expect(vmOf("carol").image).not.toBe(v3.pinned);
  }, 900_000);

  it("fleet status shows every user's machines and whether the VM runs the declared image", async () => {
    const status = await fleetStatus(ctx);
    expect(status.users.map((u) => [u.user, u.status?.vm.machine?.state, u.current])).toEqual([
      ["alice", "started", true],
      ["bob", "started", false],
      ["carol", "started", false],
    ]);
  }, 300_000);

  it("removing a user is refused without consent to lose /data; with it nothing of theirs is left", async () => {
    api.clearRequests();
    const refused = await fleetRemove(ctx, "carol", false);
    expect(refused.removed).toBe(false);
    expect(refused.why).toMatch(/refused: removing carol deletes volume vm_data of ft-carol-vm/);
    expect(writes(api.requests())).toEqual([]);
    expect(api.state().apps).toContain("ft-carol-vm");

    const removed = await fleetRemove(ctx, "carol", true);
    expect(removed).toMatchObject({ removed: true });
    const st = api.state();
    const carols = (app: string) => app.startsWith("ft-carol-");
    expect({
      apps: st.apps.filter(carols),
      machines: st.machines.filter((m) => carols(m.app) && m.state !== "destroyed"),
      volumes: st.volumes.filter((v) => carols(v.app)),
      ips: st.ips.filter((ip) => carols(ip.app)),
      secrets: Object.keys(st.secrets).filter(carols),
    }).toEqual({ apps: [], machines: [], volumes: [], ips: [], secrets: [] });
    expect(await ctx.engine.stackNames()).not.toContain("ft-carol");
    // The others are untouched.
    expect(st.apps).toEqual(expect.arrayContaining(["ft-alice-vm", "ft-bob-vm"]));
  }, 900_000);
});
