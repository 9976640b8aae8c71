// The public contract of the local Fly API (shared with the providers' engine tests and the sandbox).
import type { CheckResult, MachineSpecInput } from "../runtime/spec";

export type { CheckResult, MachineSpecInput } from "../runtime/spec";

/** What runs a machine's process; sandbox/runtime's ProcessRuntime satisfies it structurally. */
export interface MachineRuntimeHook {
  /** The port the process listens on, or undefined for a state-only image. */
  start(spec: MachineSpecInput): Promise<number | undefined>;
  /** Restart with a new spec. */
  update(spec: MachineSpecInput): Promise<number | undefined>;
  stop(id: string): Promise<void>;
  suspend(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  /** Real probes; [] when not running. */
  checks(id: string): Promise<CheckResult[]>;
  /**
   * Tells the API when a machine's process exits on its own (a crash, or a clean exit nobody asked for), so the
   * machine follows its restart policy or stops, as flyd does. Returns the unsubscribe function.
   */
  onExit?(listener: (id: string, exitCode: number | null) => void): () => void;
  /**
   * Copies a volume's data as a snapshot (the process runtime keeps volumes as directories) and returns the bytes
   * stored. Without it, snapshots are state only: a volume restored from one starts empty.
   */
  snapshotVolume?(volumeId: string, snapshotId: string): Promise<number>;
  /** Fills a new volume with a snapshot's data (create with `snapshot_id`). */
  restoreVolume?(snapshotId: string, volumeId: string): Promise<void>;
}

/** What a machine's process prints for an exec'd command (the sandbox runs none): undefined = "not found". */
export type ExecResponder = (
  machine: { id: string; app: string; image: string },
  command: string[],
) => { exitCode?: number; stdout?: string; stderr?: string } | undefined;

export interface FlyApiOptions {
  /** 0 (default) = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  token: string;
  /** JSON file the state is written to after each change and loaded from at start. */
  persistPath?: string;
  runtime?: MachineRuntimeHook;
  log?: (line: string) => void;
  /** Milliseconds each asynchronous state step takes (created→starting→started...). Default 30. */
  transitionMs?: number;
  /** Region used when a request names none. Default "ord". */
  defaultRegion?: string;
  /** Path of Fly's OpenAPI document for strict request validation; default: sandbox/openapi's lookup. */
  openApiSpecPath?: string;
  /** Check every API response against the document and log each mismatch (tests turn this on). */
  checkResponses?: boolean;
  /**
   * How long an app takes to exist after a create without `?wait=true`, and to disappear after its delete was
   * accepted (202). Default 3 × transitionMs.
   */
  appLifecycleMs?: number;
  /**
   * The clock of the rate limits' token buckets, in milliseconds (default Date.now). A test that
   * moves it only as its client waits gets the same 429s however fast the machine sends.
   */
  rateLimitClock?: () => number;
}

export interface RequestLogEntry {
  method: string;
  /** The path, with only non-secret query parameters kept. */
  path: string;
  status: number;
  app?: string;
  /** OpenAPI operationId when known. */
  operation?: string;
  startedAt: number;
  durationMs: number;
}

export interface FlyApiFaults {
  /** Added to every request. */
  latencyMs?: number;
  /** 0..1: share of API requests answered 503, from a seeded generator. */
  errorRate?: number;
  seed?: number;
  /** Extra time a machine spends in "starting". */
  slowStartMs?: number;
  /** Check name -> output; that check stays critical. */
  failingChecks?: Record<string, string>;
  /**
   * OpenAPI operationId -> how many of its next requests are carried out but answered 504, as when a
   * connection drops after Fly has acted (the client cannot tell; a create's answer never arrives).
   */
  loseAnswers?: Record<string, number>;
}

export interface SandboxState {
  apps: string[];
  machines: { id: string; app: string; state: string; image: string; secretsVersion?: number }[];
  volumes: { id: string; app: string; name: string; sizeGb: number; state: string; attachedMachineId?: string }[];
  ips: { app: string; type: string; address: string; orgSlug?: string }[];
  secrets: Record<string, { names: string[]; version: number }>;
}

export interface LocalFlyApi {
  url: string;
  token: string;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  /** Non-GET API requests served (the /__sandbox endpoints excluded). */
  writeCount(): number;
  setFaults(f: FlyApiFaults): void;
  setRateLimits(on: boolean): void;
  state(): SandboxState;
  /** An app of another organization: its name is taken (422 on create) and reading it answers 403. */
  addForeignApp(name: string): void;
  /** Answers POST …/machines/{id}/exec (sandbox/flyapi/exec.ts); undefined restores "command not found". */
  setExecResponder(responder: ExecResponder | undefined): void;
  /** Puts a volume in a state Fly reports (e.g. fork_cleanup, waiting_for_detach), as after operations the sandbox does not run. */
  setVolumeState(id: string, state: string): void;
  close(): Promise<void>;
}
