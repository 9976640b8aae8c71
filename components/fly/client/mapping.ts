// Fly's snake_case answers -> the client's camelCase objects, and inputs -> request bodies. Pure.
import { compact } from "./compact";
import { configFromWire, configToWire } from "./config-mapping";
import type {
  CreateAppInput,
  CreateIpInput,
  CreateMachineInput,
  CreateVolumeInput,
  FlyApp,
  FlyIpAssignment,
  FlyLease,
  FlyMachine,
  FlySecretInfo,
  FlyVolume,
  FlyVolumeSnapshot,
  IpType,
  UpdateMachineInput,
  UpdateVolumeInput,
} from "./types";
import type { WireApp, WireIp, WireLease, WireMachine, WireSecret, WireSnapshot, WireVolume } from "./wire";

export function appFromWire(w: WireApp): FlyApp {
  return compact({
    id: w.id ?? w.name,
    name: w.name,
    status: w.status,
    network: w.network,
    orgSlug: w.organization?.slug,
    machineCount: w.machine_count,
    volumeCount: w.volume_count,
  });
}

/** The document names `name`; older clients sent `app_name` (the local API accepts both). */
export function createAppToWire(input: CreateAppInput): Record<string, unknown> {
  return compact({ name: input.name, org_slug: input.orgSlug, network: input.network, enable_subdomains: input.enableSubdomains });
}

export function machineFromWire(w: WireMachine): FlyMachine {
  return compact({
    id: w.id,
    name: w.name ?? w.id,
    state: w.state,
    region: w.region ?? "",
    instanceId: w.instance_id ?? "",
    privateIp: w.private_ip,
    config: configFromWire(w.config),
    checks: (w.checks ?? []).map((c) => compact({ name: c.name, status: c.status, output: c.output, updatedAt: c.updated_at })),
    createdAt: w.created_at,
    updatedAt: w.updated_at,
    imageRef:
      w.image_ref === undefined || w.image_ref === null
        ? undefined
        : compact({ registry: w.image_ref.registry, repository: w.image_ref.repository, tag: w.image_ref.tag, digest: w.image_ref.digest }),
    leaseNonce: w.nonce,
    events: (w.events ?? []).map((e) => {
      const exit = e.request?.exit_event ?? undefined;
      return compact({
        id: e.id,
        type: e.type,
        status: e.status,
        timestamp: e.timestamp,
        exitCode: exit?.exit_code ?? undefined,
        requestedStop: exit?.requested_stop,
        restarting: exit?.restarting,
      });
    }),
  });
}

export function createMachineToWire(input: CreateMachineInput): Record<string, unknown> {
  return compact({
    config: configToWire(input.config),
    name: input.name,
    region: input.region,
    skip_launch: input.skipLaunch,
    min_secrets_version: input.minSecretsVersion,
    lease_ttl: input.leaseTtl,
    skip_service_registration: input.skipServiceRegistration,
  });
}

export function updateMachineToWire(input: UpdateMachineInput): Record<string, unknown> {
  return compact({
    config: configToWire(input.config),
    name: input.name,
    region: input.region,
    skip_launch: input.skipLaunch,
    min_secrets_version: input.minSecretsVersion,
    current_version: input.currentVersion,
    skip_service_registration: input.skipServiceRegistration,
  });
}

export function leaseFromWire(w: WireLease): FlyLease {
  return compact({ nonce: w.nonce, expiresAt: w.expires_at, owner: w.owner, description: w.description, version: w.version });
}

export function volumeFromWire(w: WireVolume): FlyVolume {
  return {
    ...compact({
      id: w.id,
      name: w.name,
      region: w.region,
      sizeGb: w.size_gb,
      state: w.state ?? "created",
      encrypted: w.encrypted,
      zone: w.zone,
      snapshotRetention: w.snapshot_retention,
      autoBackupEnabled: w.auto_backup_enabled,
      createdAt: w.created_at,
      bytesUsed: w.bytes_used,
      bytesTotal: w.bytes_total,
    }),
    attachedMachineId: w.attached_machine_id === undefined || w.attached_machine_id === "" ? null : w.attached_machine_id,
  };
}

export function createVolumeToWire(input: CreateVolumeInput): Record<string, unknown> {
  return compact({
    name: input.name,
    region: input.region,
    size_gb: input.sizeGb,
    encrypted: input.encrypted,
    snapshot_retention: input.snapshotRetention,
    auto_backup_enabled: input.autoBackupEnabled,
    require_unique_zone: input.requireUniqueZone,
    snapshot_id: input.snapshotId,
    source_volume_id: input.sourceVolumeId,
  });
}

export function updateVolumeToWire(input: UpdateVolumeInput): Record<string, unknown> {
  return compact({ snapshot_retention: input.snapshotRetention, auto_backup_enabled: input.autoBackupEnabled });
}

export function snapshotFromWire(w: WireSnapshot): FlyVolumeSnapshot {
  return compact({
    id: w.id,
    status: w.status,
    size: w.size,
    volumeSize: w.volume_size,
    digest: w.digest,
    retentionDays: w.retention_days,
    createdAt: w.created_at,
  });
}

export function secretFromWire(w: WireSecret): FlySecretInfo {
  return compact({ name: w.name, digest: w.digest, createdAt: w.created_at, updatedAt: w.updated_at });
}

/**
 * Fly's list answer does not always say the type; it follows from the address: Flycast addresses are
 * in fdaa::/16 (private 6PN), other v6 are public, and a v4 is shared or dedicated.
 */
export function ipTypeOf(w: Pick<WireIp, "ip" | "type" | "shared">): IpType {
  if (w.type === "v4" || w.type === "v6" || w.type === "shared_v4" || w.type === "private_v6") return w.type;
  if (w.ip.includes(":")) return w.ip.toLowerCase().startsWith("fdaa:") ? "private_v6" : "v6";
  return w.shared === true ? "shared_v4" : "v4";
}

export function ipFromWire(w: WireIp): FlyIpAssignment {
  return compact({
    ip: w.ip,
    type: ipTypeOf(w),
    region: w.region,
    serviceName: w.service_name,
    shared: w.shared,
    createdAt: w.created_at,
  });
}

export function createIpToWire(input: CreateIpInput): Record<string, unknown> {
  return compact({
    type: input.type,
    region: input.region,
    network: input.network,
    org_slug: input.orgSlug,
    service_name: input.serviceName,
  });
}
