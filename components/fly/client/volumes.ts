// Volumes and their snapshots.
import { z } from "zod";
import { seg, type CallOptions, type FlyHttp } from "./http";
import { createVolumeToWire, snapshotFromWire, updateVolumeToWire, volumeFromWire } from "./mapping";
import type { CreateVolumeInput, ExtendVolumeResult, FlyVolume, FlyVolumeSnapshot, UpdateVolumeInput } from "./types";
import { ignoredBodySchema, wireExtendSchema, wireSnapshotSchema, wireVolumeSchema } from "./wire";

/**
 * States of a volume Fly is removing but still lists: fly-go's GetVolumes filters exactly these out
 * (flaps/flaps_volumes.go `destroyedVolumeStates`); a destroy goes scheduling_destroy → pending_destroy
 * (Fly docs volumes/volume-states). Such a volume is never taken over, and destroying it again is done.
 */
export const GOING_VOLUME_STATES: ReadonlySet<string> = new Set(["scheduling_destroy", "fork_cleanup", "waiting_for_detach", "pending_destroy", "destroying", "destroyed"]);
export const isVolumeGoing = (state: string): boolean => GOING_VOLUME_STATES.has(state);

export class FlyVolumesApi {
  constructor(private readonly http: FlyHttp) {}

  #path(appName: string, volumeId?: string, action?: string): string {
    let path = `/apps/${seg(appName)}/volumes`;
    if (volumeId !== undefined) path += `/${seg(volumeId)}`;
    if (action !== undefined) path += `/${action}`;
    return path;
  }

  async create(appName: string, input: CreateVolumeInput, options: CallOptions = {}): Promise<FlyVolume> {
    const wire = await this.http.request({ ...options, method: "POST", path: this.#path(appName), body: createVolumeToWire(input), schema: wireVolumeSchema });
    return volumeFromWire(wire);
  }

  async get(appName: string, volumeId: string, options: CallOptions = {}): Promise<FlyVolume> {
    const wire = await this.http.request({ ...options, method: "GET", path: this.#path(appName, volumeId), schema: wireVolumeSchema });
    return volumeFromWire(wire);
  }

  async list(appName: string, options: CallOptions = {}): Promise<FlyVolume[]> {
    const wire = await this.http.request({ ...options, method: "GET", path: this.#path(appName), schema: z.array(wireVolumeSchema).nullable() });
    return (wire ?? []).map(volumeFromWire);
  }

  async update(appName: string, volumeId: string, input: UpdateVolumeInput, options: CallOptions = {}): Promise<FlyVolume> {
    const wire = await this.http.request({
      ...options,
      method: "PUT",
      path: this.#path(appName, volumeId),
      body: updateVolumeToWire(input),
      schema: wireVolumeSchema,
    });
    return volumeFromWire(wire);
  }

  /** Grows the volume; Fly refuses to shrink one. */
  async extend(appName: string, volumeId: string, sizeGb: number, options: CallOptions = {}): Promise<ExtendVolumeResult> {
    const wire = await this.http.request({
      ...options,
      method: "PUT",
      path: this.#path(appName, volumeId, "extend"),
      body: { size_gb: sizeGb },
      schema: wireExtendSchema,
    });
    return { volume: volumeFromWire(wire.volume), needsRestart: wire.needs_restart ?? false };
  }

  async delete(appName: string, volumeId: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({ ...options, method: "DELETE", path: this.#path(appName, volumeId), schema: ignoredBodySchema });
  }

  async listSnapshots(appName: string, volumeId: string, options: CallOptions = {}): Promise<FlyVolumeSnapshot[]> {
    const wire = await this.http.request({
      ...options,
      method: "GET",
      path: this.#path(appName, volumeId, "snapshots"),
      schema: z.array(wireSnapshotSchema).nullable(),
    });
    return (wire ?? []).map(snapshotFromWire);
  }

  /** Starts a snapshot; Fly answers with no body, so list snapshots to see it. */
  async createSnapshot(appName: string, volumeId: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({ ...options, method: "POST", path: this.#path(appName, volumeId, "snapshots"), schema: ignoredBodySchema });
  }
}
