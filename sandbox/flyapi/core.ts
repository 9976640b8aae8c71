// The sandbox's shared state and the machine life cycle: asynchronous state steps on timers, the runtime
// hook calls, waiters for `wait`, persistence after each change.
import type { MachineSpecInput } from "../runtime/spec";
import { HttpError, notFound } from "./errors";
import { nowIso, ulid, type AppRecord, type MachineRecord, type StoreData } from "./model";
import { saveStore } from "./persist";
import type { FlyApiFaults, MachineRuntimeHook } from "./types";

export const RUNNING_STATES = new Set(["created", "starting", "started", "replacing", "updating"]);
const MAX_EVENTS = 20;
/** Fly's default when a config names no restart policy: on-failure, up to 10 restarts. */
const DEFAULT_RESTART = { policy: "on-failure", maxRetries: 10 } as const;
/** Pause before a restart after an exit, doubling from the transition time up to this. */
const MAX_RESTART_BACKOFF_MS = 10_000;

function restartPolicyOf(config: Record<string, unknown>): { policy: string; maxRetries: number } {
  const restart = (config["restart"] ?? {}) as { policy?: string; max_retries?: number };
  return { policy: restart.policy ?? DEFAULT_RESTART.policy, maxRetries: restart.max_retries ?? DEFAULT_RESTART.maxRetries };
}

export interface CoreOptions {
  runtime?: MachineRuntimeHook;
  persistPath?: string;
  log: (line: string) => void;
  transitionMs: number;
  defaultRegion: string;
  /** How long an app takes to exist after its create and to go after its delete (both asynchronous on Fly). */
  appLifecycleMs: number;
}

type Waiter = () => void;

export class SandboxCore {
  faults: FlyApiFaults = {};
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Bumped by every life-cycle step, so an older step still in flight knows it was overtaken. */
  readonly #generation = new Map<string, number>();
  /** Runtime calls per machine run one after another: a stop never overtakes the start before it. */
  readonly #runtimeChain = new Map<string, Promise<unknown>>();
  readonly #launching = new Set<string>();
  /** Restarts after exits since the machine was last started or updated on request (what max_retries counts). */
  readonly #exitRestarts = new Map<string, number>();
  readonly #unsubscribeExits: (() => void) | undefined;
  #closed = false;

  constructor(
    readonly data: StoreData,
    readonly options: CoreOptions,
  ) {
    this.#unsubscribeExits = options.runtime?.onExit?.((id, exitCode) => this.#processExited(id, exitCode));
  }

  get runtime(): MachineRuntimeHook | undefined {
    return this.options.runtime;
  }

  log(line: string): void {
    this.options.log(line);
  }

  /** Records a change: written to the persist file when there is one. */
  changed(): void {
    if (this.options.persistPath === undefined || this.#closed) return;
    try {
      saveStore(this.options.persistPath, this.data);
    } catch (err) {
      this.log(`local Fly API: could not write state file ${this.options.persistPath}: ${(err as Error).message}`);
    }
  }

  /**
   * The app, as this token sees it. Not yet readable after a create without `?wait=true` (fly-go's CreateApp asks
   * for the wait and then polls with WaitForApp, retrying 404: flaps/flaps_apps.go); 403 for another
   * organization's app (flaps_apps.go AppNameAvailable: "a name held by another organization comes back as a 403").
   */
  app(name: string): AppRecord {
    const app = this.data.apps[name];
    if (app === undefined || (app.readableAtMs !== undefined && app.readableAtMs > Date.now())) throw notFound(`app "${name}"`);
    if (app.foreign === true) throw new HttpError(403, `unauthorized: app "${name}" belongs to an organization this token cannot access`);
    return app;
  }

  machine(appName: string, id: string): MachineRecord {
    this.app(appName);
    const m = this.data.machines[id];
    if (m === undefined || m.app !== appName) throw notFound(`machine "${id}" in app "${appName}"`);
    return m;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      this.#timers.add(t);
    });
  }

  // ---- state changes and waiters ----

  setState(m: MachineRecord, state: string, eventType?: string, status?: string): void {
    m.state = state;
    m.updatedAt = nowIso();
    if (eventType !== undefined) this.event(m, eventType, status ?? state);
    this.changed();
    const waiters = this.#waiters.get(m.id);
    if (waiters !== undefined) for (const w of [...waiters]) w();
  }

  event(m: MachineRecord, type: string, status: string, source = "flyd", request?: Record<string, unknown>): void {
    m.events.unshift({ id: ulid(), type, status, source, timestamp: Date.now(), ...(request ? { request } : {}) });
    m.events.length = Math.min(m.events.length, MAX_EVENTS);
  }

  /** Resolves true when `test` holds (checked now and after every state change), false after `timeoutMs` or on close. */
  waitFor(machineId: string, test: () => boolean, timeoutMs: number): Promise<boolean> {
    if (test()) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const set = this.#waiters.get(machineId) ?? new Set<Waiter>();
      this.#waiters.set(machineId, set);
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        set.delete(check);
        resolve(ok);
      };
      const check: Waiter = () => {
        if (this.#closed) finish(false);
        else if (test()) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.#timers.add(timer);
      set.add(check);
    });
  }

  // ---- the life cycle ----

  specOf(m: MachineRecord): MachineSpecInput {
    const app = this.app(m.app);
    const config = m.config;
    const env = (config["env"] ?? {}) as Record<string, string>;
    const mounts = ((config["mounts"] ?? []) as { volume?: string; path?: string }[])
      .filter((x) => typeof x.volume === "string" && typeof x.path === "string")
      .map((x) => ({ volumeId: x.volume as string, path: x.path as string }));
    const checks = Object.entries((config["checks"] ?? {}) as Record<string, { type?: string; path?: string }>)
      .filter(([, c]) => c.type === "http")
      .map(([name, c]) => ({ name, path: c.path ?? "/" }));
    return {
      id: m.id,
      appName: m.app,
      image: String(config["image"] ?? ""),
      env,
      secrets: { ...(app.secretHistory[String(m.secretsVersion)] ?? {}) },
      mounts,
      checks,
    };
  }

  /** Whether a start is on its way (so a second start request is a no-op, as on Fly). */
  isLaunching(id: string): boolean {
    return this.#launching.has(id);
  }

  #step(m: MachineRecord): number {
    const next = (this.#generation.get(m.id) ?? 0) + 1;
    this.#generation.set(m.id, next);
    this.#launching.delete(m.id);
    return next;
  }

  #runtimeCall<T>(id: string, call: () => Promise<T>): Promise<T> {
    const previous = this.#runtimeChain.get(id) ?? Promise.resolve();
    const next = previous.then(call, call);
    this.#runtimeChain.set(
      id,
      next.catch(() => undefined),
    );
    return next;
  }

  /**
   * created/stopped/suspended → starting → started, asynchronously. `update` has the runtime replace the
   * process and its root filesystem with the new spec (as Fly does on update, whether or not it was running).
   */
  launch(m: MachineRecord, mode: "start" | "update" | "restart", cause: "request" | "exit" = "request"): void {
    if (cause === "request") this.#exitRestarts.delete(m.id);
    const app = this.app(m.app);
    m.secretsVersion = Math.max(m.secretsVersion, app.secretsVersion);
    const gen = this.#step(m);
    this.#launching.add(m.id);
    this.#background(m, async () => {
      await this.sleep(this.options.transitionMs);
      if (this.#stale(m, gen)) return;
      this.setState(m, "starting", "launch", "starting");
      const runtime = this.runtime;
      try {
        if (runtime !== undefined) {
          const spec = this.specOf(m);
          // A restart keeps the root filesystem: stop and start the same spec (update would replace it).
          if (mode === "restart") await this.#runtimeCall(m.id, () => runtime.stop(m.id));
          const port = await this.#runtimeCall(m.id, () => (mode === "update" ? runtime.update(spec) : runtime.start(spec)));
          if (this.#stale(m, gen)) return;
          m.runtimePort = port;
        }
      } catch (err) {
        if (this.#stale(m, gen)) return;
        this.#launching.delete(m.id);
        this.log(`local Fly API: machine ${m.id} (app ${m.app}) failed to start: ${(err as Error).message}`);
        m.runtimePort = undefined;
        this.setState(m, "stopped", "exit", "failed");
        return;
      }
      await this.sleep(this.options.transitionMs + (this.faults.slowStartMs ?? 0));
      if (this.#stale(m, gen)) return;
      this.#launching.delete(m.id);
      m.startedAt = Date.now();
      this.setState(m, "started", "start", "started");
    });
  }

  /**
   * The machine's process exited without being asked to (the runtime said so). As flyd does: an exit event with
   * its code, then a restart when the policy allows one (always; on-failure after a non-zero code, up to
   * max_retries), otherwise the machine is stopped.
   */
  #processExited(id: string, exitCode: number | null): void {
    const m = this.data.machines[id];
    // A stop, update or destroy in progress owns the machine; its own step records what happens.
    if (m === undefined || this.#closed || (m.state !== "started" && m.state !== "starting")) return;
    const { policy, maxRetries } = restartPolicyOf(m.config);
    const restarts = this.#exitRestarts.get(id) ?? 0;
    const restarting = policy === "always" || (policy === "on-failure" && exitCode !== 0 && restarts < maxRetries);
    const gen = this.#step(m);
    m.runtimePort = undefined;
    m.startedAt = undefined;
    const exitEvent = { exit_code: exitCode, requested_stop: false, restarting, oom_killed: false, exited_at: nowIso() };
    this.event(m, "exit", "stopped", "flyd", { exit_event: exitEvent });
    this.log(`local Fly API: machine ${id} (app ${m.app}) exited with code ${exitCode ?? "(signal)"}; ${restarting ? `restart ${restarts + 1} (policy ${policy})` : `stopped (policy ${policy})`}`);
    if (!restarting) {
      this.setState(m, "stopped");
      return;
    }
    this.#exitRestarts.set(id, restarts + 1);
    this.setState(m, "starting");
    const backoff = Math.min(this.options.transitionMs * 2 ** restarts, MAX_RESTART_BACKOFF_MS);
    this.#background(m, async () => {
      await this.sleep(backoff);
      if (!this.#stale(m, gen)) this.launch(m, "start", "exit");
    });
  }

  /** started → stopping → stopped (or suspending → suspended). */
  halt(m: MachineRecord, how: "stop" | "suspend"): void {
    const gen = this.#step(m);
    this.setState(m, how === "stop" ? "stopping" : "suspending");
    const runtime = this.runtime;
    this.#background(m, async () => {
      try {
        if (runtime !== undefined) await this.#runtimeCall(m.id, () => (how === "stop" ? runtime.stop(m.id) : runtime.suspend(m.id)));
      } catch (err) {
        this.log(`local Fly API: runtime ${how} of machine ${m.id} failed: ${(err as Error).message}`);
      }
      await this.sleep(this.options.transitionMs);
      if (this.#stale(m, gen)) return;
      m.runtimePort = undefined;
      m.startedAt = undefined;
      const state = how === "stop" ? "stopped" : "suspended";
      this.event(m, "exit", state, "flyd", { exit_event: { exit_code: 0, requested_stop: true, restarting: false, oom_killed: false, exited_at: nowIso() } });
      this.setState(m, state);
    });
  }

  /** → destroying → destroyed; the volume is released at once so it can be deleted or reused. */
  destroy(m: MachineRecord): Promise<void> {
    this.#step(m);
    for (const v of Object.values(this.data.volumes)) if (v.attachedMachineId === m.id) delete v.attachedMachineId;
    delete m.lease;
    this.setState(m, "destroying");
    const runtime = this.runtime;
    return (async () => {
      try {
        if (runtime !== undefined) await this.#runtimeCall(m.id, () => runtime.destroy(m.id));
      } catch (err) {
        this.log(`local Fly API: runtime destroy of machine ${m.id} failed: ${(err as Error).message}`);
      }
      await this.sleep(this.options.transitionMs);
      m.runtimePort = undefined;
      this.#runtimeChain.delete(m.id);
      this.setState(m, "destroyed", "destroy", "destroyed");
    })();
  }

  /** Runs a life-cycle step off the request; whatever goes wrong is logged, never an unhandled rejection. */
  #background(m: MachineRecord, step: () => Promise<void>): void {
    step().catch((err: unknown) => {
      this.log(`local Fly API: life-cycle step of machine ${m.id} (app ${m.app}) failed: ${(err as Error).stack ?? String(err)}`);
    });
  }

  /** A newer start/update/stop/destroy has taken over this machine: the older step must not overwrite it. */
  #stale(m: MachineRecord, gen: number): boolean {
    return this.#closed || this.#generation.get(m.id) !== gen || this.data.machines[m.id] !== m;
  }

  checkLease(m: MachineRecord, nonce: string | undefined): void {
    const lease = m.lease;
    if (lease === undefined) return;
    if (lease.expiresAtMs <= Date.now()) {
      delete m.lease;
      return;
    }
    if (nonce !== lease.nonce) {
      throw new HttpError(
        409,
        `machine ${m.id} is leased by ${lease.owner} until ${new Date(lease.expiresAtMs).toISOString()}; ` +
          `send its nonce in the fly-machine-lease-nonce header, or wait for the lease to expire`,
      );
    }
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribeExits?.();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const set of this.#waiters.values()) for (const w of set) w();
  }
}
