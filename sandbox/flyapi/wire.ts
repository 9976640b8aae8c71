// Records → Fly's JSON (the OpenAPI response schemas' field names and types).
import type { SandboxCore } from "./core";
import type { AppRecord, IpRecord, LeaseRecord, MachineRecord, SnapshotRecord, VolumeRecord } from "./model";
import type { CheckResult } from "./types";

export function appToWire(core: SandboxCore, app: AppRecord): Record<string, unknown> {
  const machines = Object.values(core.data.machines).filter((m) => m.app === app.name && m.state !== "destroyed");
  const volumes = Object.values(core.data.volumes).filter((v) => v.app === app.name);
  return {
    id: app.id,
    name: app.name,
    internal_numeric_id: app.internalId,
    status: machines.some((m) => m.state === "started") ? "deployed" : "pending",
    network: app.network,
    organization: { name: app.orgSlug, slug: app.orgSlug },
    machine_count: machines.length,
    volume_count: volumes.length,
  };
}

export function machineToWire(m: MachineRecord, checks: CheckResult[], nonce?: string): Record<string, unknown> {
  const image = String(m.config["image"] ?? "");
  const [repoPart, tag] = splitImage(image);
  const slash = repoPart.indexOf("/");
  const hasRegistry = slash > 0 && /[.:]/.test(repoPart.slice(0, slash));
  const wire: Record<string, unknown> = {
    id: m.id,
    name: m.name,
    state: m.state,
    region: m.region,
    instance_id: m.instanceId,
    private_ip: m.privateIp,
    config: m.config,
    image_ref: {
      registry: hasRegistry ? repoPart.slice(0, slash) : "registry-1.docker.io",
      repository: hasRegistry ? repoPart.slice(slash + 1) : repoPart,
      tag,
      digest: "",
      labels: {},
    },
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    host_status: "ok",
    events: m.events.map((e) => ({ id: e.id, type: e.type, status: e.status, source: e.source, timestamp: e.timestamp, ...(e.request ? { request: e.request } : {}) })),
    checks: checks.map((c) => ({ name: c.name, status: c.status, output: c.output, updated_at: c.updatedAt })),
  };
  if (nonce !== undefined) wire["nonce"] = nonce;
  return wire;
}

function splitImage(image: string): [string, string] {
  const at = image.indexOf("@");
  const base = at >= 0 ? image.slice(0, at) : image;
  const colon = base.lastIndexOf(":");
  if (colon > base.lastIndexOf("/")) return [base.slice(0, colon), base.slice(colon + 1)];
  return [base, "latest"];
}

export function leaseToWire(lease: LeaseRecord): Record<string, unknown> {
  return {
    status: "success",
    data: { nonce: lease.nonce, expires_at: Math.floor(lease.expiresAtMs / 1000), owner: lease.owner, description: lease.description, version: lease.version },
  };
}

export function volumeToWire(v: VolumeRecord): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: v.id,
    name: v.name,
    state: v.state ?? "created",
    size_gb: v.sizeGb,
    region: v.region,
    zone: v.zone,
    encrypted: v.encrypted,
    type: "local",
    fstype: "ext4",
    // No block_size/blocks*/bytes_*: the document has them, but neither flyctl nor fly-go reads them
    // and what Fly fills in is unverified; inventing an empty volume would mislead `npm run status`,
    // which reads the services' own report of their disk instead (docs/stand-ins.md).
    snapshot_retention: v.snapshotRetention,
    auto_backup_enabled: v.autoBackupEnabled,
    host_status: "ok",
    created_at: v.createdAt,
  };
  // The document types this as a string: leave it out rather than send null when nothing is attached.
  if (v.attachedMachineId !== undefined) wire["attached_machine_id"] = v.attachedMachineId;
  return wire;
}

export function snapshotToWire(s: SnapshotRecord): Record<string, unknown> {
  return { id: s.id, status: s.status ?? "created", size: s.sizeBytes, volume_size: s.volumeSizeGb, digest: s.digest, retention_days: s.retentionDays ?? 5, created_at: s.createdAt };
}

export function ipToWire(ip: IpRecord): Record<string, unknown> {
  return { ip: ip.ip, region: ip.region, service_name: ip.serviceName, shared: ip.type === "shared_v4", created_at: ip.createdAt };
}
