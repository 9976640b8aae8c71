// Machines: create, get, list, update, delete, start, stop, suspend, wait, events.
import { randomBytes } from "node:crypto";
import { RUNNING_STATES, type SandboxCore } from "./core";
import { machineRequestSchema, parseBody, type MachineRequest } from "./body";
import { HttpError } from "./errors";
import { machineId, nowIso, ulid, type MachineRecord } from "./model";
import type { HandlerContext, HandlerResult, Router } from "./router";
import type { CheckResult } from "./types";
import { echoedConfig } from "./echo";
import { GOING_VOLUME_STATES } from "./volumes";
import { machineToWire } from "./wire";

const WAITABLE = new Set(["started", "stopped", "suspended", "destroyed", "failed", "settled"]);
const MAX_WAIT_SECONDS = 60;

async function checksOf(core: SandboxCore, m: MachineRecord): Promise<CheckResult[]> {
  const failing = core.faults.failingChecks ?? {};
  const configured = Object.keys((m.config["checks"] ?? {}) as Record<string, unknown>);
  if (m.state !== "started") return [];
  let results: CheckResult[];
  if (core.runtime !== undefined && m.runtimePort !== undefined) {
    try {
      results = await core.runtime.checks(m.id);
    } catch (err) {
      core.log(`local Fly API: checks of machine ${m.id} failed: ${(err as Error).message}`);
      results = [];
    }
  } else {
    const since = new Date(m.startedAt ?? Date.now()).toISOString();
    results = configured.map((name) => ({ name, status: "passing" as const, output: "OK (sandbox: state-only image)", updatedAt: since }));
  }
  return results.map((c) => (failing[c.name] !== undefined ? { ...c, status: "critical" as const, output: failing[c.name] ?? "" } : c));
}

async function toWire(core: SandboxCore, m: MachineRecord, nonce?: string): Promise<Record<string, unknown>> {
  return machineToWire(m, await checksOf(core, m), nonce);
}

/** Attaches the config's volumes to `m`, enforcing Fly's rules; releases volumes the new config no longer mounts. */
function attachVolumes(core: SandboxCore, m: MachineRecord, config: Record<string, unknown>, region: string): void {
  const mounts = (config["mounts"] ?? []) as { volume?: string; path?: string }[];
  const wanted = new Set<string>();
  for (const [i, mount] of mounts.entries()) {
    if (mount.volume === undefined || mount.volume === "") throw new HttpError(422, `config.mounts[${i}].volume is required (a volume id such as vol_...)`);
    if (mount.path === undefined || !mount.path.startsWith("/")) throw new HttpError(422, `config.mounts[${i}].path must be an absolute path`);
    const v = core.data.volumes[mount.volume];
    if (v === undefined || v.app !== m.app) throw new HttpError(422, `volume ${mount.volume} not found in app "${m.app}" (config.mounts[${i}])`);
    if (GOING_VOLUME_STATES.has(v.state ?? "")) throw new HttpError(422, `volume ${v.id} (${v.name}) is ${v.state ?? ""} and cannot be mounted (config.mounts[${i}])`);
    // Whether Fly mounts a volume still restoring from a snapshot is not documented ("wait a moment" until it
    // is created, docs machines/api/volumes-resource): the stand-in refuses, the stricter side.
    if (v.state === "restoring") throw new HttpError(422, `volume ${v.id} (${v.name}) is still restoring from a snapshot; wait until it is created (config.mounts[${i}])`);
    if (v.region !== region) {
      throw new HttpError(422, `volume ${v.id} (${v.name}) is in region ${v.region} but the machine is in ${region}: a volume is pinned to its region`);
    }
    if (v.attachedMachineId !== undefined && v.attachedMachineId !== m.id) {
      throw new HttpError(422, `volume ${v.id} (${v.name}) is already attached to machine ${v.attachedMachineId}; a volume attaches to one machine at a time`);
    }
    wanted.add(v.id);
  }
  for (const v of Object.values(core.data.volumes)) {
    if (v.attachedMachineId === m.id && !wanted.has(v.id)) delete v.attachedMachineId;
  }
  for (const id of wanted) {
    const v = core.data.volumes[id];
    if (v !== undefined) v.attachedMachineId = m.id;
  }
}

function checkSecretsVersion(core: SandboxCore, appName: string, req: MachineRequest): void {
  const app = core.app(appName);
  if (req.min_secrets_version !== undefined && req.min_secrets_version > app.secretsVersion) {
    throw new HttpError(
      422,
      `min_secrets_version ${req.min_secrets_version} is newer than app "${appName}"'s secrets version ${app.secretsVersion}; set the secrets first`,
    );
  }
}

function privateIp(): string {
  const b = randomBytes(4);
  return `fdaa:0:${b.readUInt16BE(0).toString(16)}:a7b:${b.readUInt16BE(2).toString(16)}:${randomBytes(2).toString("hex")}:1:2`;
}

function acquireOnCreate(m: MachineRecord, ttl: number | undefined): string | undefined {
  if (ttl === undefined) return undefined;
  const nonce = randomBytes(8).toString("hex");
  m.lease = { nonce, expiresAtMs: Date.now() + ttl * 1000, owner: "sandbox@local", description: "", version: ulid() };
  return nonce;
}

async function create(ctx: HandlerContext): Promise<HandlerResult> {
  const { core } = ctx;
  const appName = ctx.params["app"] ?? "";
  const app = core.app(appName);
  const req = parseBody(machineRequestSchema, ctx.body, "create machine");
  checkSecretsVersion(core, appName, req);
  const region = req.region ?? core.options.defaultRegion;
  const id = machineId();
  const now = nowIso();
  const m: MachineRecord = {
    id,
    app: appName,
    name: req.name ?? `sandbox-${id.slice(0, 6)}`,
    region,
    state: "created",
    instanceId: ulid(),
    privateIp: privateIp(),
    config: echoedConfig(req.config, core.data.volumes),
    createdAt: now,
    updatedAt: now,
    secretsVersion: app.secretsVersion,
    events: [],
  };
  if (Object.values(core.data.machines).some((x) => x.app === appName && x.name === m.name && x.state !== "destroyed")) {
    throw new HttpError(409, `a machine named "${m.name}" already exists in app "${appName}"`);
  }
  attachVolumes(core, m, req.config, region);
  core.event(m, "launch", "created", "user");
  core.data.machines[id] = m;
  const nonce = acquireOnCreate(m, req.lease_ttl);
  core.changed();
  if (req.skip_launch !== true) core.launch(m, "start");
  return { status: 200, body: await toWire(core, m, nonce) };
}

async function update(ctx: HandlerContext): Promise<HandlerResult> {
  const { core } = ctx;
  const appName = ctx.params["app"] ?? "";
  const m = core.machine(appName, ctx.params["id"] ?? "");
  if (m.state === "destroyed" || m.state === "destroying") throw new HttpError(412, `machine ${m.id} is ${m.state}; create a new one`);
  core.checkLease(m, ctx.leaseNonce);
  const req = parseBody(machineRequestSchema, ctx.body, "update machine");
  checkSecretsVersion(core, appName, req);
  // Fly's optimistic check: an update based on an older version of the machine is refused.
  if (req.current_version !== undefined && req.current_version !== "" && req.current_version !== m.instanceId) {
    throw new HttpError(412, `machine ${m.id} is at version ${m.instanceId}, not current_version ${req.current_version}; read it again and retry`);
  }
  // flyctl sends the machine's current name on every update (internal/command/machine/update.go); whether Fly
  // would rename is not documented, so the stand-in refuses a different one (docs/stand-ins.md).
  if (req.name !== undefined && req.name !== "" && req.name !== m.name) {
    throw new HttpError(422, `machine ${m.id} is named "${m.name}"; an update cannot rename it to "${req.name}" (send its current name, or none)`);
  }
  const region = req.region ?? m.region;
  if (region !== m.region) throw new HttpError(422, `machine ${m.id} is in region ${m.region}; a machine cannot move to ${region}, create a new one there`);
  attachVolumes(core, m, req.config, region);
  const wasRunning = (RUNNING_STATES.has(m.state) && m.state !== "created") || core.isLaunching(m.id);
  m.config = echoedConfig(req.config, core.data.volumes);
  m.instanceId = ulid();
  m.secretsVersion = Math.max(m.secretsVersion, req.min_secrets_version ?? 0, core.app(appName).secretsVersion);
  core.event(m, "update", "pending", "user");
  if (req.skip_launch === true) {
    if (wasRunning) core.halt(m, "stop");
    else core.setState(m, m.state);
  } else if (wasRunning) {
    core.setState(m, "replacing");
    core.launch(m, "update");
  } else {
    // A stopped machine is replaced too (new root filesystem); one that never ran simply starts.
    const neverRan = m.state === "created";
    core.setState(m, m.state);
    core.launch(m, neverRan ? "start" : "update");
  }
  return { status: 200, body: await toWire(core, m) };
}

async function get(ctx: HandlerContext): Promise<HandlerResult> {
  const m = ctx.core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  return { status: 200, body: await toWire(ctx.core, m) };
}

async function list(ctx: HandlerContext): Promise<HandlerResult> {
  const appName = ctx.params["app"] ?? "";
  ctx.core.app(appName);
  const includeDeleted = ctx.query.get("include_deleted") === "true";
  const region = ctx.query.get("region");
  const state = ctx.query.get("state");
  const states = state === null || state === "" ? undefined : new Set(state.split(","));
  const machines = Object.values(ctx.core.data.machines).filter(
    (m) =>
      m.app === appName &&
      (includeDeleted || m.state !== "destroyed") &&
      (region === null || region === "" || m.region === region) &&
      (states === undefined || states.has(m.state)),
  );
  return { status: 200, body: await Promise.all(machines.map((m) => toWire(ctx.core, m))) };
}

async function remove(ctx: HandlerContext): Promise<HandlerResult> {
  const { core } = ctx;
  const m = core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  core.checkLease(m, ctx.leaseNonce);
  if (m.state === "destroyed" || m.state === "destroying") return { status: 200, body: { ok: true } };
  const force = ctx.query.get("force") === "true" || ctx.query.get("kill") === "true";
  if (!force && RUNNING_STATES.has(m.state) && m.state !== "created") {
    throw new HttpError(412, `failed_precondition: unable to destroy machine ${m.id}, not currently stopped or suspended (state ${m.state}); stop it first or pass ?force=true`);
  }
  void core.destroy(m);
  return { status: 200, body: { ok: true } };
}

function start(ctx: HandlerContext): HandlerResult {
  const { core } = ctx;
  const m = core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  core.checkLease(m, ctx.leaseNonce);
  if (m.state === "destroyed" || m.state === "destroying") throw new HttpError(412, `machine ${m.id} is ${m.state} and cannot be started`);
  const previous = m.state;
  // Fly: starting a machine that is already started (or on its way) changes nothing.
  if ((RUNNING_STATES.has(m.state) && m.state !== "created") || core.isLaunching(m.id)) return { status: 200, body: { previous_state: previous } };
  core.launch(m, "start");
  return { status: 200, body: { previous_state: previous } };
}

function stop(ctx: HandlerContext): HandlerResult {
  const { core } = ctx;
  const m = core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  core.checkLease(m, ctx.leaseNonce);
  if (m.state === "destroyed" || m.state === "destroying") throw new HttpError(412, `machine ${m.id} is ${m.state} and cannot be stopped`);
  // Already down (or on the way) and no start pending after it: nothing to do.
  if (!core.isLaunching(m.id) && (m.state === "stopped" || m.state === "stopping" || m.state === "suspended")) return { status: 200, body: { ok: true } };
  core.halt(m, "stop");
  return { status: 200, body: { ok: true } };
}

/** Fly's restart: the process is stopped and started again with the same config and version. */
function restart(ctx: HandlerContext): HandlerResult {
  const { core } = ctx;
  const m = core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  core.checkLease(m, ctx.leaseNonce);
  if (m.state !== "started") throw new HttpError(412, `machine ${m.id} is ${m.state}; only a started machine can be restarted (use start)`);
  core.event(m, "restart", "pending", "user");
  core.launch(m, "restart");
  core.setState(m, "stopping");
  return { status: 200, body: { ok: true } };
}

function suspend(ctx: HandlerContext): HandlerResult {
  const { core } = ctx;
  const m = core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  core.checkLease(m, ctx.leaseNonce);
  if (!core.isLaunching(m.id) && (m.state === "suspended" || m.state === "suspending")) return { status: 200, body: { ok: true } };
  if (m.state !== "started") throw new HttpError(412, `machine ${m.id} is ${m.state}; only a started machine can be suspended`);
  const memory = (m.config["guest"] as { memory_mb?: number } | undefined)?.memory_mb ?? 256;
  // Fly's documented limit for suspend: at most 2 GB of memory.
  if (memory > 2048) throw new HttpError(400, `machine ${m.id} has ${memory} MB of memory; Fly can only suspend machines with 2048 MB or less`);
  core.halt(m, "suspend");
  return { status: 200, body: { ok: true } };
}

const TRANSITIONAL = new Set(["created", "starting", "stopping", "suspending", "destroying", "replacing", "updating"]);

/** Whether the machine is in one of the wanted states; "failed" = its last launch failed, "settled" = not moving. */
function reached(core: SandboxCore, m: MachineRecord, wanted: string[]): boolean {
  return wanted.some((state) => {
    if (state === "failed") return m.events[0]?.status === "failed";
    if (state === "settled") return !TRANSITIONAL.has(m.state) && !core.isLaunching(m.id);
    return m.state === state;
  });
}

async function wait(ctx: HandlerContext): Promise<HandlerResult> {
  const { core } = ctx;
  const m = core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  // The document: repeated or comma-separated states; default started.
  const wanted = ctx.query.getAll("state").flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  if (wanted.length === 0) wanted.push("started");
  const unknown = wanted.filter((w) => !WAITABLE.has(w));
  if (unknown.length > 0) throw new HttpError(400, `wait: state must be one of ${[...WAITABLE].join(", ")} (got "${unknown.join(",")}")`);
  const timeoutText = ctx.query.get("timeout") ?? String(MAX_WAIT_SECONDS);
  const seconds = Number(timeoutText);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new HttpError(400, `wait: timeout must be a positive number of seconds (got "${timeoutText}")`);
  // `version` is the current name, `instance_id` the deprecated one; with either, only that version counts.
  const version = ctx.query.get("version") || ctx.query.get("instance_id") || undefined;
  const ok = await core.waitFor(
    m.id,
    () => reached(core, m, wanted) && (version === undefined || version === m.instanceId || m.state === "destroyed"),
    Math.min(seconds, MAX_WAIT_SECONDS) * 1000,
  );
  if (!ok) {
    throw new HttpError(408, `deadline_exceeded: machine ${m.id} did not reach state "${wanted.join(",")}" within ${seconds}s (it is ${m.state})`);
  }
  return { status: 200, body: { ok: true, state: m.state, version: m.instanceId, event_id: m.events[0]?.id ?? "" } };
}

function events(ctx: HandlerContext): HandlerResult {
  const m = ctx.core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  return { status: 200, body: m.events.map((e) => ({ ...e })) };
}

export function machineRoutes(router: Router): void {
  const base = "/v1/apps/:app/machines";
  router
    .add("POST", base, create)
    .add("GET", base, list)
    .add("GET", `${base}/:id`, get)
    .add("POST", `${base}/:id`, update)
    .add("DELETE", `${base}/:id`, remove)
    .add("POST", `${base}/:id/start`, start)
    .add("POST", `${base}/:id/stop`, stop)
    .add("POST", `${base}/:id/suspend`, suspend)
    .add("POST", `${base}/:id/restart`, restart)
    .add("GET", `${base}/:id/wait`, wait)
    .add("GET", `${base}/:id/events`, events);
}
