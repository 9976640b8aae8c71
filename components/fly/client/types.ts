// Public, camelCase shapes of the Fly objects the client reads and writes. Fly's snake_case JSON never
// leaves the client: mapping.ts converts.

export type AutostopMode = "off" | "stop" | "suspend";
export type StopSignal = "SIGHUP" | "SIGINT" | "SIGQUIT" | "SIGKILL" | "SIGUSR1" | "SIGUSR2" | "SIGTERM";
export type MachineState =
  | "created"
  | "starting"
  | "started"
  | "stopping"
  | "stopped"
  | "suspending"
  | "suspended"
  | "replacing"
  | "destroying"
  | "destroyed"
  | (string & {});
/** States `wait` accepts. */
export type WaitableState = "started" | "stopped" | "suspended" | "destroyed";

export interface FlyApp {
  id: string;
  name: string;
  status?: string;
  network?: string;
  orgSlug?: string;
  machineCount?: number;
  volumeCount?: number;
}

export interface CreateAppInput {
  name: string;
  orgSlug: string;
  network?: string;
  enableSubdomains?: boolean;
}

export interface MachineGuest {
  cpuKind: "shared" | "performance" | (string & {});
  cpus: number;
  memoryMb: number;
}

export interface MachinePort {
  port?: number;
  startPort?: number;
  endPort?: number;
  handlers?: string[];
  forceHttps?: boolean;
}

export interface MachineConcurrency {
  type?: "connections" | "requests" | (string & {});
  softLimit?: number;
  hardLimit?: number;
}

export interface MachineService {
  protocol: "tcp" | "udp" | (string & {});
  internalPort: number;
  ports?: MachinePort[];
  autostopMachines?: AutostopMode;
  autostartMachines?: boolean;
  minMachinesRunning?: number;
  concurrency?: MachineConcurrency;
}

/** A top-level machine check (config.checks[name]). Durations are Fly strings like "15s". */
export interface MachineCheck {
  type: "http" | "tcp";
  port?: number;
  path?: string;
  method?: string;
  protocol?: "http" | "https";
  interval?: string;
  timeout?: string;
  gracePeriod?: string;
  headers?: { name: string; values: string[] }[];
}

export interface MachineMount {
  volume: string;
  path: string;
  name?: string;
  /** Fly reports the volume's size and encryption with each mount (fly-go MachineMount); not sent by the program. */
  sizeGb?: number;
  encrypted?: boolean;
}

export interface MachineRestart {
  policy: "no" | "always" | "on-failure" | "spot-price";
  maxRetries?: number;
}

export interface MachineStopConfig {
  signal?: StopSignal;
  timeout?: string;
}

export interface MachineInit {
  cmd?: string[];
  entrypoint?: string[];
  exec?: string[];
}

export interface MachineFile {
  guestPath: string;
  rawValue?: string;
  secretName?: string;
  mode?: number;
}

export interface MachineConfig {
  image: string;
  env?: Record<string, string>;
  guest?: MachineGuest;
  services?: MachineService[];
  checks?: Record<string, MachineCheck>;
  mounts?: MachineMount[];
  restart?: MachineRestart;
  metadata?: Record<string, string>;
  stopConfig?: MachineStopConfig;
  init?: MachineInit;
  files?: MachineFile[];
  autoDestroy?: boolean;
}

export interface MachineCheckStatus {
  name: string;
  status: "passing" | "warning" | "critical" | (string & {});
  output?: string;
  updatedAt?: string;
}

export interface FlyMachine {
  id: string;
  name: string;
  state: MachineState;
  region: string;
  /** Changes on every update; what `wait` and `current_version` refer to. */
  instanceId: string;
  privateIp?: string;
  config: MachineConfig;
  checks: MachineCheckStatus[];
  createdAt?: string;
  updatedAt?: string;
  imageRef?: { registry?: string; repository?: string; tag?: string; digest?: string };
  /** Only on create with `leaseTtl`: the nonce of the lease Fly took for you. */
  leaseNonce?: string;
  /** Fly's recent events, newest first. */
  events: MachineEvent[];
}

/** A machine event; `exit` events say how the process ended. */
export interface MachineEvent {
  id?: string;
  type: "launch" | "start" | "exit" | "update" | "restart" | "destroy" | (string & {});
  status?: string;
  /** Milliseconds since the epoch. */
  timestamp?: number;
  /** Of an `exit` event: the process's code (absent when a signal ended it). */
  exitCode?: number;
  /** Of an `exit` event: whether someone asked for the stop (false = the process ended on its own). */
  requestedStop?: boolean;
  /** Of an `exit` event: whether flyd is restarting it under its restart policy. */
  restarting?: boolean;
}

export interface CreateMachineInput {
  config: MachineConfig;
  name?: string;
  region?: string;
  skipLaunch?: boolean;
  minSecretsVersion?: number;
  leaseTtl?: number;
  skipServiceRegistration?: boolean;
}

export interface UpdateMachineInput {
  config: MachineConfig;
  name?: string;
  region?: string;
  skipLaunch?: boolean;
  minSecretsVersion?: number;
  /** Refuse the update unless the machine is still at this version (instance id). */
  currentVersion?: string;
  skipServiceRegistration?: boolean;
}

export interface ListMachinesInput {
  includeDeleted?: boolean;
  region?: string;
  state?: string;
}

export interface WaitInput {
  state: WaitableState;
  /** Seconds the server holds the request (Fly caps it at 60). */
  timeoutSeconds?: number;
  /** The machine version to wait for: its `instance_id` after a create or update. */
  version?: string;
}

export interface WaitResult {
  ok: boolean;
  state?: string;
  version?: string;
  eventId?: string;
}

export interface StopInput {
  signal?: StopSignal;
  /** A Fly duration such as "10s". */
  timeout?: string;
}

export interface FlyLease {
  nonce: string;
  /** Unix seconds. */
  expiresAt: number;
  owner?: string;
  description?: string;
  version?: string;
}

export interface FlyVolume {
  id: string;
  name: string;
  region: string;
  sizeGb: number;
  state: string;
  attachedMachineId: string | null;
  encrypted?: boolean;
  zone?: string;
  snapshotRetention?: number;
  autoBackupEnabled?: boolean;
  createdAt?: string;
  /**
   * Filesystem use, when Fly reports it: the OpenAPI document has `bytes_used`/`bytes_total`, but
   * neither flyctl nor fly-go reads them, so whether Fly fills them is not known; callers need a fallback.
   */
  bytesUsed?: number;
  bytesTotal?: number;
}

export interface CreateVolumeInput {
  name: string;
  region: string;
  sizeGb: number;
  encrypted?: boolean;
  snapshotRetention?: number;
  autoBackupEnabled?: boolean;
  requireUniqueZone?: boolean;
  snapshotId?: string;
  sourceVolumeId?: string;
}

export interface UpdateVolumeInput {
  snapshotRetention?: number;
  autoBackupEnabled?: boolean;
}

export interface ExtendVolumeResult {
  volume: FlyVolume;
  needsRestart: boolean;
}

export interface FlyVolumeSnapshot {
  id: string;
  status?: string;
  size?: number;
  volumeSize?: number;
  digest?: string;
  retentionDays?: number;
  createdAt?: string;
}

/** A secret as Fly lists it: name and digest, never the value. */
export interface FlySecretInfo {
  name: string;
  digest?: string;
  createdAt?: string;
  updatedAt?: string;
}

export interface SecretsUpdateResult {
  /** The app's new secrets version; pass it as `minSecretsVersion` to machine create/update. */
  version: number;
  secrets: FlySecretInfo[];
}

export type IpType = "v4" | "v6" | "shared_v4" | "private_v6";

export interface FlyIpAssignment {
  ip: string;
  type: IpType;
  region?: string;
  serviceName?: string;
  shared?: boolean;
  createdAt?: string;
}

export interface CreateIpInput {
  type: IpType;
  region?: string;
  network?: string;
  orgSlug?: string;
  serviceName?: string;
}
