// Machines: create, get, list, update, delete, start, stop, suspend, wait. Leased calls take the nonce.
import { z } from "zod";
import { FlyApiError } from "./errors";
import { seg, type CallOptions, type FlyHttp } from "./http";
import { createMachineToWire, machineFromWire, updateMachineToWire } from "./mapping";
import type {
  CreateMachineInput,
  FlyMachine,
  ListMachinesInput,
  StopInput,
  UpdateMachineInput,
  WaitInput,
  WaitResult,
  WaitableState,
} from "./types";
import { ignoredBodySchema, wireMachineSchema, wireWaitSchema } from "./wire";

export interface LeasedCallOptions extends CallOptions {
  /** Nonce of the lease held on the machine; sent as `fly-machine-lease-nonce`. */
  leaseNonce?: string;
}

export interface WaitForStateInput {
  state: WaitableState;
  /** Only this version of the machine (its instance_id after a create or update) counts. */
  version?: string;
  /** Overall time budget in milliseconds; `wait` calls (408 on their own timeout) repeat until then. */
  timeoutMs: number;
  /** Seconds each `wait` call is held by Fly (at most 60). */
  perCallSeconds?: number;
}

const MAX_WAIT_SECONDS = 60;

/** flydv1.ExecResponse (OpenAPI): every field optional. */
const wireExecSchema = z.looseObject({
  exit_code: z.number().int().optional(),
  exit_signal: z.number().int().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
});

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
/** Pause after a 408 that came back well before the wait's own timeout. */
const EARLY_408_PAUSE_MS = 1_000;

export class FlyMachinesApi {
  constructor(private readonly http: FlyHttp) {}

  #path(appName: string, machineId?: string, action?: string): string {
    let path = `/apps/${seg(appName)}/machines`;
    if (machineId !== undefined) path += `/${seg(machineId)}`;
    if (action !== undefined) path += `/${action}`;
    return path;
  }

  async create(appName: string, input: CreateMachineInput, options: CallOptions = {}): Promise<FlyMachine> {
    const wire = await this.http.request({
      ...options,
      method: "POST",
      path: this.#path(appName),
      body: createMachineToWire(input),
      schema: wireMachineSchema,
    });
    return machineFromWire(wire);
  }

  async get(appName: string, machineId: string, options: CallOptions = {}): Promise<FlyMachine> {
    const wire = await this.http.request({ ...options, method: "GET", path: this.#path(appName, machineId), schema: wireMachineSchema });
    return machineFromWire(wire);
  }

  async list(appName: string, input: ListMachinesInput = {}, options: CallOptions = {}): Promise<FlyMachine[]> {
    const wire = await this.http.request({
      ...options,
      method: "GET",
      path: this.#path(appName),
      query: { include_deleted: input.includeDeleted, region: input.region, state: input.state },
      schema: z.array(wireMachineSchema).nullable(),
    });
    return (wire ?? []).map(machineFromWire);
  }

  /** Replaces the machine's config; Fly restarts it (unless skipLaunch) and gives it a new instance id. */
  async update(appName: string, machineId: string, input: UpdateMachineInput, options: LeasedCallOptions = {}): Promise<FlyMachine> {
    const wire = await this.http.request({
      ...options,
      method: "POST",
      path: this.#path(appName, machineId),
      body: updateMachineToWire(input),
      schema: wireMachineSchema,
    });
    return machineFromWire(wire);
  }

  /** `force` destroys a running machine (Fly's `?force=true`). */
  async delete(appName: string, machineId: string, input: { force?: boolean } = {}, options: LeasedCallOptions = {}): Promise<void> {
    await this.http.request({
      ...options,
      method: "DELETE",
      path: this.#path(appName, machineId),
      query: { force: input.force === true ? true : undefined },
      schema: ignoredBodySchema,
    });
  }

  async start(appName: string, machineId: string, options: LeasedCallOptions = {}): Promise<void> {
    await this.http.request({ ...options, method: "POST", path: this.#path(appName, machineId, "start"), schema: ignoredBodySchema });
  }

  async stop(appName: string, machineId: string, input: StopInput = {}, options: LeasedCallOptions = {}): Promise<void> {
    const body: Record<string, string> = {};
    if (input.signal !== undefined) body["signal"] = input.signal;
    if (input.timeout !== undefined) body["timeout"] = input.timeout;
    await this.http.request({ ...options, method: "POST", path: this.#path(appName, machineId, "stop"), body, schema: ignoredBodySchema });
  }

  /** Stops and starts the machine on the same version (its root filesystem kept); Fly restarts only a started machine. */
  async restart(appName: string, machineId: string, options: LeasedCallOptions = {}): Promise<void> {
    await this.http.request({ ...options, method: "POST", path: this.#path(appName, machineId, "restart"), schema: ignoredBodySchema });
  }

  async suspend(appName: string, machineId: string, options: LeasedCallOptions = {}): Promise<void> {
    await this.http.request({ ...options, method: "POST", path: this.#path(appName, machineId, "suspend"), schema: ignoredBodySchema });
  }

  /**
   * Runs a command inside a started machine and returns its output (OpenAPI Machines_exec; fly-go
   * flaps_machines.go Exec posts MachineExecRequest and reads MachineExecResponse as JSON). Not retried:
   * a command is not known to be safe to repeat.
   */
  async exec(appName: string, machineId: string, input: { command: string[]; timeoutSeconds?: number }, options: CallOptions = {}): Promise<ExecResult> {
    const wire = await this.http.request({
      ...options,
      method: "POST",
      path: this.#path(appName, machineId, "exec"),
      body: { command: input.command, ...(input.timeoutSeconds !== undefined ? { timeout: input.timeoutSeconds } : {}) },
      timeoutMs: options.timeoutMs ?? ((input.timeoutSeconds ?? 30) + 15) * 1000,
      schema: wireExecSchema,
    });
    return { exitCode: wire.exit_code ?? 0, stdout: wire.stdout ?? "", stderr: wire.stderr ?? "" };
  }

  /** One `wait` call; Fly answers 408 (a FlyApiError) when the state is not reached in time. */
  async wait(appName: string, machineId: string, input: WaitInput, options: CallOptions = {}): Promise<WaitResult> {
    const seconds = Math.min(MAX_WAIT_SECONDS, Math.max(1, Math.round(input.timeoutSeconds ?? MAX_WAIT_SECONDS)));
    const wire = await this.http.request({
      ...options,
      method: "GET",
      path: this.#path(appName, machineId, "wait"),
      // `version`, not the deprecated `instance_id` (OpenAPI Machines_wait; fly-go flaps_machines_wait.go).
      query: { state: input.state, timeout: seconds, version: input.version },
      // Fly holds the request for up to `timeout` seconds: give the HTTP call room beyond that.
      timeoutMs: options.timeoutMs ?? (seconds + 15) * 1000,
      schema: wireWaitSchema,
    });
    return { ok: wire.ok ?? true, state: wire.state, version: wire.version, eventId: wire.event_id };
  }

  /** Waits for a state across as many `wait` calls as the overall deadline allows (408 means "ask again"). */
  async waitForState(appName: string, machineId: string, input: WaitForStateInput): Promise<WaitResult> {
    const deadline = this.http.now() + input.timeoutMs;
    for (;;) {
      const remainingSeconds = Math.ceil((deadline - this.http.now()) / 1000);
      if (remainingSeconds <= 0) break;
      const perCall = Math.min(remainingSeconds, input.perCallSeconds ?? MAX_WAIT_SECONDS, MAX_WAIT_SECONDS);
      const callStarted = this.http.now();
      try {
        return await this.wait(appName, machineId, { state: input.state, version: input.version, timeoutSeconds: perCall });
      } catch (err) {
        if (!(err instanceof FlyApiError) || err.status !== 408) throw err;
      }
      // Fly holds a wait until its timeout before answering 408. One that came back early (a proxy, a state that
      // cannot be reached) would turn this loop into hundreds of requests a second: pause before asking again.
      const elapsed = this.http.now() - callStarted;
      if (elapsed < (perCall * 1000) / 2) {
        await this.http.sleep(Math.max(0, Math.min(EARLY_408_PAUSE_MS, deadline - this.http.now())));
      }
    }
    throw new FlyApiError({
      method: "GET",
      path: `/v1${this.#path(appName, machineId, "wait")}`,
      status: 408,
      flyMessage: `machine ${machineId} did not reach state "${input.state}" within ${Math.round(input.timeoutMs / 1000)}s`,
    });
  }
}
