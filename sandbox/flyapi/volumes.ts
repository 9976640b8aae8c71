// Volumes: pinned to a region, attached to at most one machine, grow only; snapshots.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { parseBody } from "./body";
import { HttpError, notFound } from "./errors";
import { nowIso, volumeId, type VolumeRecord } from "./model";
import type { HandlerContext, HandlerResult, Router } from "./router";
import { checkRetention, restoreInto, restoreSource, takeSnapshot } from "./snapshots";
import { snapshotToWire, volumeToWire } from "./wire";

const VOLUME_NAME = /^[a-z0-9_]{1,30}$/;
const createSchema = z.looseObject({
  name: z.string(),
  region: z.string().optional(),
  size_gb: z.number().int().positive().optional(),
  encrypted: z.boolean().optional(),
  snapshot_retention: z.number().int().optional(),
  auto_backup_enabled: z.boolean().optional(),
  snapshot_id: z.string().optional(),
  source_volume_id: z.string().optional(),
});
const updateSchema = z.looseObject({ snapshot_retention: z.number().int().optional(), auto_backup_enabled: z.boolean().optional() });
const extendSchema = z.looseObject({ size_gb: z.number().int().positive() });

function volume(ctx: HandlerContext): VolumeRecord {
  const appName = ctx.params["app"] ?? "";
  ctx.core.app(appName);
  const v = ctx.core.data.volumes[ctx.params["vol"] ?? ""];
  if (v === undefined || v.app !== appName) throw notFound(`volume "${ctx.params["vol"] ?? ""}" in app "${appName}"`);
  return v;
}

function create(ctx: HandlerContext): HandlerResult {
  const appName = ctx.params["app"] ?? "";
  ctx.core.app(appName);
  const body = parseBody(createSchema, ctx.body, "create volume");
  if (!VOLUME_NAME.test(body.name)) {
    throw new HttpError(400, `volume name "${body.name}" is invalid: use lowercase letters, digits and underscores, at most 30 characters`);
  }
  checkRetention(body.snapshot_retention);
  if (body.source_volume_id !== undefined) throw new HttpError(400, "source_volume_id (forking a volume) is not modelled by the local Fly API");
  const sizeGb = body.size_gb ?? 1;
  if (body.snapshot_id !== undefined) restoreSource(ctx.core, appName, body.snapshot_id, sizeGb);
  const v: VolumeRecord = {
    id: volumeId(),
    app: appName,
    name: body.name,
    region: body.region ?? ctx.core.options.defaultRegion,
    zone: randomBytes(2).toString("hex"),
    sizeGb,
    encrypted: body.encrypted ?? true,
    snapshotRetention: body.snapshot_retention ?? 5,
    autoBackupEnabled: body.auto_backup_enabled ?? true,
    createdAt: nowIso(),
    snapshots: [],
  };
  ctx.core.data.volumes[v.id] = v;
  if (body.snapshot_id !== undefined) restoreInto(ctx.core, v, body.snapshot_id);
  ctx.core.changed();
  return { status: 200, body: volumeToWire(v) };
}

function list(ctx: HandlerContext): HandlerResult {
  const appName = ctx.params["app"] ?? "";
  ctx.core.app(appName);
  return { status: 200, body: Object.values(ctx.core.data.volumes).filter((v) => v.app === appName).map(volumeToWire) };
}

function show(ctx: HandlerContext): HandlerResult {
  return { status: 200, body: volumeToWire(volume(ctx)) };
}

function update(ctx: HandlerContext): HandlerResult {
  const v = volume(ctx);
  const body = parseBody(updateSchema, ctx.body, "update volume");
  checkRetention(body.snapshot_retention);
  if (body.snapshot_retention !== undefined) v.snapshotRetention = body.snapshot_retention;
  if (body.auto_backup_enabled !== undefined) v.autoBackupEnabled = body.auto_backup_enabled;
  ctx.core.changed();
  return { status: 200, body: volumeToWire(v) };
}

function extend(ctx: HandlerContext): HandlerResult {
  const v = volume(ctx);
  if (GOING_VOLUME_STATES.has(v.state ?? "")) throw new HttpError(412, `volume ${v.id} (${v.name}) is ${v.state}; it cannot be extended`);
  const body = parseBody(extendSchema, ctx.body, "extend volume");
  if (body.size_gb <= v.sizeGb) {
    throw new HttpError(400, `volume ${v.id} is ${v.sizeGb} GB; size_gb ${body.size_gb} would not grow it (volumes can only be extended, never shrunk)`);
  }
  v.sizeGb = body.size_gb;
  ctx.core.changed();
  // When Fly answers needs_restart is not documented beyond "your Machine needs to be restarted to make use of the
  // added space" (docs machines/api/volumes-resource); the stand-in says so whenever a started machine has it mounted.
  const attached = v.attachedMachineId === undefined ? undefined : ctx.core.data.machines[v.attachedMachineId];
  return { status: 200, body: { volume: volumeToWire(v), needs_restart: attached?.state === "started" } };
}

/**
 * Volumes Fly is removing, which it still lists (fly-go flaps/flaps_volumes.go `destroyedVolumeStates`, filtered out
 * by its GetVolumes): a destroy goes `scheduling_destroy` → `pending_destroy` and stays soft-deleted for 24 hours
 * (Fly docs volumes/volume-states). `fork_cleanup` and `waiting_for_detach` come from forks and detaches the
 * sandbox does not run; a test can put a volume in them (`setVolumeState`).
 */
export const GOING_VOLUME_STATES = new Set(["scheduling_destroy", "fork_cleanup", "waiting_for_detach", "pending_destroy", "destroying"]);

function remove(ctx: HandlerContext): HandlerResult {
  const v = volume(ctx);
  if (GOING_VOLUME_STATES.has(v.state ?? "")) return { status: 200, body: volumeToWire(v) };
  if (v.attachedMachineId !== undefined) {
    throw new HttpError(412, `volume ${v.id} (${v.name}) is attached to machine ${v.attachedMachineId}; destroy that machine (or remove the mount) first`);
  }
  v.state = "scheduling_destroy";
  ctx.core.changed();
  const { core } = ctx;
  void core.sleep(core.options.transitionMs).then(() => {
    if (core.data.volumes[v.id] === v && v.state === "scheduling_destroy") {
      v.state = "pending_destroy";
      core.changed();
    }
  });
  return { status: 200, body: volumeToWire(v) };
}

function listSnapshots(ctx: HandlerContext): HandlerResult {
  return { status: 200, body: volume(ctx).snapshots.map(snapshotToWire) };
}

function createSnapshot(ctx: HandlerContext): HandlerResult {
  const v = volume(ctx);
  if (GOING_VOLUME_STATES.has(v.state ?? "")) throw new HttpError(412, `volume ${v.id} (${v.name}) is ${v.state}; it cannot be snapshotted`);
  takeSnapshot(ctx.core, v);
  return { status: 200 };
}

export function volumeRoutes(router: Router): void {
  const base = "/v1/apps/:app/volumes";
  router
    .add("POST", base, create)
    .add("GET", base, list)
    .add("GET", `${base}/:vol`, show)
    .add("PUT", `${base}/:vol`, update)
    .add("DELETE", `${base}/:vol`, remove)
    .add("PUT", `${base}/:vol/extend`, extend)
    .add("GET", `${base}/:vol/snapshots`, listSnapshots)
    .add("POST", `${base}/:vol/snapshots`, createSnapshot);
}
