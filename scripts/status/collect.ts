// Collects one deployment's status from the Fly API and the relay's public /health. Read-only: it
// makes GET requests only, and never calls the VM (a request would wake it): the VM's queue and disk
// come from its Fly health check, whose output Fly keeps from the VM's last /health answer.
import { isFlyNotFound, type FlyClient, type FlyMachine, type FlyVolume } from "../../components/fly/client";
import {
  relayHealthSchema,
  vmHealthSchema,
  type AppView,
  type DeploymentStatus,
  type MachineView,
  type RelayHealth,
  type StackOutputs,
  type VmHealth,
  type VolumeView,
} from "./model";

export interface StatusSources {
  outputs: StackOutputs;
  fly: Pick<FlyClient, "machines" | "volumes">;
  /** GETs the relay's public /health and resolves its JSON body. */
  relayHealth: () => Promise<unknown>;
  /** The command that shows an app's logs (`fly logs -a …`, or the sandbox's log file). */
  logsCommand: (app: string, machineId: string) => string;
}

const SLEEPING = new Set(["stopped", "suspended"]);

async function machineOf(fly: StatusSources["fly"], app: string, id: string): Promise<FlyMachine | undefined> {
  try {
    return await fly.machines.get(app, id);
  } catch (err) {
    if (isFlyNotFound(err)) return undefined;
    throw err;
  }
}

function machineView(m: FlyMachine): MachineView {
  const started = m.events.filter((e) => e.type === "start" && e.timestamp !== undefined).map((e) => e.timestamp!);
  const digest = m.imageRef?.digest;
  return {
    id: m.id,
    state: m.state,
    region: m.region,
    image: m.config.image,
    ...(digest ? { digest } : {}),
    ...(m.updatedAt ? { updatedAt: m.updatedAt } : {}),
    ...(started.length > 0 ? { lastStartedAt: new Date(Math.max(...started)).toISOString() } : {}),
    checks: m.checks.map((c) => ({ name: c.name, status: c.status, output: c.output ?? "", ...(c.updatedAt ? { updatedAt: c.updatedAt } : {}) })),
  };
}

/** The stack's volume: the one attached to its machine, else the app's only live one of that name. */
function volumeOf(volumes: FlyVolume[], machineId: string, name: string): FlyVolume | undefined {
  const live = volumes.filter((v) => !["destroyed", "destroying", "pending_destroy"].includes(v.state));
  return live.find((v) => v.attachedMachineId === machineId) ?? live.find((v) => v.name === name);
}

function volumeView(v: FlyVolume, reported: { usedBytes: number; totalBytes: number } | undefined, whyUnknown: string): VolumeView {
  // The service's statfs of its mounted volume first: Fly's bytes_used is in its OpenAPI document but
  // read by neither flyctl nor fly-go, so it is only the fallback (e.g. for a sleeping VM).
  const usage: VolumeView["usage"] = reported
    ? { ...reported, source: "service" }
    : v.bytesUsed !== undefined && v.bytesTotal !== undefined && v.bytesTotal > 0
      ? { usedBytes: v.bytesUsed, totalBytes: v.bytesTotal, source: "fly" }
      : { unknown: whyUnknown };
  return { id: v.id, name: v.name, sizeGb: v.sizeGb, usage, ...(v.snapshotRetention !== undefined ? { snapshotRetentionDays: v.snapshotRetention } : {}) };
}

/** The VM's last /health answer, from its health check's output (Fly keeps the response body there). */
function vmHealthFromChecks(m: MachineView): VmHealth | string {
  const check = m.checks.find((c) => c.name === "health");
  if (!check) return "the VM has no health check result yet";
  try {
    const parsed = vmHealthSchema.safeParse(JSON.parse(check.output));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: fall through
  }
  return `its health check is ${check.status} without a /health body (output: ${check.output.slice(0, 120) || "empty"})`;
}

export async function collectStatus(src: StatusSources): Promise<DeploymentStatus> {
  const { outputs, fly } = src;
  const problems: string[] = [];
  const [relayMachine, vmMachine, relayVolumes, vmVolumes, relayHealth] = await Promise.all([
    machineOf(fly, outputs.relayApp, outputs.relayMachineId),
    machineOf(fly, outputs.vmApp, outputs.vmMachineId),
    fly.volumes.list(outputs.relayApp),
    fly.volumes.list(outputs.vmApp),
    src.relayHealth().then(
      (body): RelayHealth | { unreachable: string } => {
        const parsed = relayHealthSchema.safeParse(body);
        return parsed.success ? parsed.data : { unreachable: `its /health answered something else: ${JSON.stringify(body).slice(0, 120)}` };
      },
      (err: unknown) => ({ unreachable: (err as Error).message }),
    ),
  ]);

  const relayView = relayMachine ? machineView(relayMachine) : undefined;
  const vmView = vmMachine ? machineView(vmMachine) : undefined;
  for (const [role, app, id, view] of [["relay", outputs.relayApp, outputs.relayMachineId, relayView], ["vm", outputs.vmApp, outputs.vmMachineId, vmView]] as const) {
    if (!view) {
      problems.push(`the ${role} machine ${id} of ${app} is gone from Fly: run \`pulumi refresh\` and \`pulumi up\` to create it again`);
      continue;
    }
    if (view.state !== "started") continue;
    for (const c of view.checks.filter((c) => c.status !== "passing")) {
      problems.push(`${app}: check ${c.name} is ${c.status} (${c.output.slice(0, 120) || "no output"})`);
    }
  }
  if (relayView && relayView.state !== "started") {
    problems.push(`the relay machine is ${relayView.state}: no message reaches the VM; start it with \`fly machine start ${relayView.id} -a ${outputs.relayApp}\` or run \`pulumi up\``);
  }
  if ("unreachable" in relayHealth) problems.push(`the relay's public /health did not answer: ${relayHealth.unreachable}`);

  let queue: DeploymentStatus["vm"]["queue"];
  let vmDisk: VmHealth["disk"];
  if (!vmView) queue = { unknown: "the VM machine is gone" };
  else if (SLEEPING.has(vmView.state)) {
    queue = { asleep: `${vmView.state}${vmView.updatedAt ? ` since ${vmView.updatedAt}` : ""}: nothing running; messages wait in the relay's outbox and wake it` };
  } else if (vmView.state !== "started") queue = { unknown: `the VM machine is ${vmView.state}` };
  else {
    const health = vmHealthFromChecks(vmView);
    if (typeof health === "string") queue = { unknown: health };
    else {
      queue = { running: health.running, queued: health.queued };
      vmDisk = health.disk;
    }
  }

  const relayDisk = "unreachable" in relayHealth ? undefined : relayHealth.disk;
  const relayVolume = relayView ? volumeOf(relayVolumes, relayView.id, "relay_data") : undefined;
  const vmVolume = vmView ? volumeOf(vmVolumes, vmView.id, "vm_data") : undefined;
  const vmWhy =
    vmView && SLEEPING.has(vmView.state)
      ? "not readable while the VM sleeps: Fly's volume API reports no usage and status does not wake the VM"
      : "the VM has not reported it (its /health has no disk figure yet)";
  const app = (role: "relay" | "vm", name: string, id: string, view: MachineView | undefined, volume: VolumeView | undefined): AppView => ({
    role,
    app: name,
    ...(view ? { machine: view } : {}),
    ...(volume ? { volume } : {}),
    logsCommand: src.logsCommand(name, id),
  });
  return {
    relay: {
      ...app("relay", outputs.relayApp, outputs.relayMachineId, relayView, relayVolume && volumeView(relayVolume, relayDisk, "the relay's /health does not report its disk use")),
      health: relayHealth,
    },
    vm: { ...app("vm", outputs.vmApp, outputs.vmMachineId, vmView, vmVolume && volumeView(vmVolume, vmDisk, vmWhy)), queue },
    ...("unreachable" in relayHealth || relayHealth.lastMessageAt === undefined ? {} : { lastMessageAt: relayHealth.lastMessageAt }),
    problems,
  };
}
