// The sandbox's records: plain JSON, so the whole store can be written to and read from the persist file.
import { createHash, randomBytes } from "node:crypto";

export interface SecretRecord {
  value: string;
  createdAt: string;
  updatedAt: string;
}

export interface AppRecord {
  id: string;
  name: string;
  orgSlug: string;
  network: string;
  createdAt: string;
  internalId: number;
  secretsVersion: number;
  secrets: Record<string, SecretRecord>;
  /** Values at each version, so a machine started at version N sees exactly those. */
  secretHistory: Record<string, Record<string, string>>;
  /** Unix ms before which the app is not readable yet (created without `?wait=true`). */
  readableAtMs?: number;
  /** Its delete was accepted (202); it disappears when the asynchronous delete finishes. */
  deleting?: boolean;
  /** An app of another organization: its name is taken, and reading it answers 403. */
  foreign?: boolean;
}

export interface LeaseRecord {
  nonce: string;
  /** Unix milliseconds (Fly answers whole seconds; the sandbox keeps the exact TTL). */
  expiresAtMs: number;
  owner: string;
  description: string;
  version: string;
}

export interface MachineEventRecord {
  id: string;
  type: string;
  status: string;
  source: string;
  timestamp: number;
  /** Fly puts the exit details of an `exit` event here: { exit_event: { exit_code, requested_stop, restarting, ... } }. */
  request?: Record<string, unknown>;
}

export interface MachineRecord {
  id: string;
  app: string;
  name: string;
  region: string;
  state: string;
  instanceId: string;
  privateIp: string;
  /** The config exactly as the client sent it (snake_case). */
  config: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  secretsVersion: number;
  events: MachineEventRecord[];
  lease?: LeaseRecord;
  /** Whether the runtime hook ran the image (real checks) or it is state-only. */
  runtimePort?: number;
  startedAt?: number;
}

export interface SnapshotRecord {
  id: string;
  createdAt: string;
  sizeBytes: number;
  volumeSizeGb: number;
  digest: string;
  /** "waiting" → "running" → "created" (Fly docs volumes/snapshots); absent in older state files = "created". */
  status?: string;
  /** The volume's retention when the snapshot was taken (a later change applies to new snapshots only). */
  retentionDays?: number;
}

export interface VolumeRecord {
  id: string;
  app: string;
  name: string;
  region: string;
  zone: string;
  sizeGb: number;
  encrypted: boolean;
  snapshotRetention: number;
  autoBackupEnabled: boolean;
  createdAt: string;
  attachedMachineId?: string;
  snapshots: SnapshotRecord[];
  /** Fly's volume state; absent = "created". A destroyed volume stays listed, soft-deleted, as `pending_destroy`. */
  state?: string;
}

export interface IpRecord {
  app: string;
  ip: string;
  type: string;
  region: string;
  serviceName: string;
  network?: string;
  /** The `org_slug` the assignment was requested with (flyctl always sends one). */
  orgSlug?: string;
  createdAt: string;
}

export interface StoreData {
  apps: Record<string, AppRecord>;
  machines: Record<string, MachineRecord>;
  volumes: Record<string, VolumeRecord>;
  ips: IpRecord[];
  counter: number;
}

export function emptyStore(): StoreData {
  return { apps: {}, machines: {}, volumes: {}, ips: [], counter: 0 };
}

export const nowIso = (): string => new Date().toISOString();

/** Fly machine ids: 14 lowercase hex characters. */
export function machineId(): string {
  return randomBytes(7).toString("hex");
}

const ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** ULID-like: 10 time characters then 16 random ones, Crockford base32. */
export function ulid(): string {
  let time = Date.now();
  let head = "";
  for (let i = 0; i < 10; i++) {
    head = ULID_ALPHABET.charAt(time % 32) + head;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(16);
  let tail = "";
  for (const b of bytes) tail += ULID_ALPHABET.charAt(b % 32);
  return head + tail;
}

export function volumeId(): string {
  const bytes = randomBytes(16);
  let s = "";
  for (const b of bytes) s += "abcdefghijklmnopqrstuvwxyz0123456789".charAt(b % 36);
  return `vol_${s}`;
}

/** A digest that identifies a secret value without revealing it. */
export function secretDigest(app: string, name: string, value: string): string {
  return createHash("sha256").update(`${app}\0${name}\0${value}`).digest("hex").slice(0, 16);
}
