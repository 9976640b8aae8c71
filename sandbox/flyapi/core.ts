// The sandbox's shared state and the machine life cycle: asynchronous state steps on timers, the runtime
// hook calls, waiters for `wait`, persistence after each change.
import type { MachineSpecInput } from "../runtime/spec";
import { HttpError, notFound } from "./errors";
import { nowIso, ulid, type AppRecord, type MachineRecord, type StoreData } from "./model";
import { saveStore } from "./persist";
import type { FlyApiFaults, MachineRuntimeHook } from "./types";

export const RUNNING_STATES = new Set(["created", "starting", "started", "replacing", "updating"]);
const MAX_EVENTS = 20;

export interface CoreOptions {
  runtime?: MachineRuntimeHook;
  persistPath?: string;
  log: (line: string) => void;
  transitionMs: number;
  defaultRegion: string;
}

type Waiter = () => void;

export class SandboxCore {
  faults: FlyApiFaults = {};
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(
    readonly data: StoreData,
    readonly options: CoreOptions,
  ) {}

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

  app(name: string): AppRecord {
    const app = this.data.apps[name];
    if (app === undefined) throw notFound(`app "${name}"`);
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

  event(m: MachineRecord, type: string, status: string, source = "flyd"): void {
    m.events.unshift({ id: ulid(), type, status, source, timestamp: Date.now() });
    m.events.length = Math.min(m.events.length, MAX_EVENTS);
  }

  /** Resolves true when `test` holds (checked now and after every state change), false after `timeoutMs`. */
  waitFor(machineId: string, test: () => boolean, timeoutMs: number): Promise<boolean> {
    if (test()) return Promise.resolve(true);
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
        if (test()) finish(true);
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

  /** created/stopped/suspended → starting → started, asynchronously. `update` restarts with a new spec. */
  launch(m: MachineRecord, mode: "start" | "update"): void {
    const app = this.app(m.app);
    m.secretsVersion = Math.max(m.secretsVersion, app.secretsVersion);
    const instance = m.instanceId;
    void (async () => {
      await this.sleep(this.options.transitionMs);
      if (this.#stale(m, instance)) return;
      this.setState(m, "starting", "launch", "starting");
      const runtime = this.runtime;
      try {
        if (runtime !== undefined) {
          const spec = this.specOf(m);
          m.runtimePort = mode === "update" ? await runtime.update(spec) : await runtime.start(spec);
        }
      } catch (err) {
        if (this.#stale(m, instance)) return;
        this.log(`local Fly API: machine ${m.id} (app ${m.app}) failed to start: ${(err as Error).message}`);
        m.runtimePort = undefined;
        this.setState(m, "stopped", "exit", "failed");
        return;
      }
      await this.sleep(this.options.transitionMs + (this.faults.slowStartMs ?? 0));
      if (this.#stale(m, instance) || m.state !== "starting") return;
      m.startedAt = Date.now();
      this.setState(m, "started", "start", "started");
    })();
  }

  /** started → stopping → stopped (or suspending → suspended). */
  halt(m: MachineRecord, how: "stop" | "suspend"): void {
    const instance = m.instanceId;
    this.setState(m, how === "stop" ? "stopping" : "suspending");
    void (async () => {
      try {
        if (this.runtime !== undefined) await (how === "stop" ? this.runtime.stop(m.id) : this.runtime.suspend(m.id));
      } catch (err) {
        this.log(`local Fly API: runtime ${how} of machine ${m.id} failed: ${(err as Error).message}`);
      }
      await this.sleep(this.options.transitionMs);
      if (this.#stale(m, instance)) return;
      m.runtimePort = undefined;
      m.startedAt = undefined;
      this.setState(m, how === "stop" ? "stopped" : "suspended", "exit", how === "stop" ? "stopped" : "suspended");
    })();
  }

  /** → destroying → destroyed; the volume is released at once so it can be deleted or reused. */
  destroy(m: MachineRecord): Promise<void> {
    for (const v of Object.values(this.data.volumes)) if (v.attachedMachineId === m.id) delete v.attachedMachineId;
    delete m.lease;
    this.setState(m, "destroying");
    const done = (async () => {
      try {
        if (this.runtime !== undefined) await this.runtime.destroy(m.id);
      } catch (err) {
        this.log(`local Fly API: runtime destroy of machine ${m.id} failed: ${(err as Error).message}`);
      }
      await this.sleep(this.options.transitionMs);
      m.runtimePort = undefined;
      this.setState(m, "destroyed", "destroy", "destroyed");
    })();
    return done;
  }

  /** A newer update/stop/destroy has taken over this machine: the older step must not overwrite it. */
  #stale(m: MachineRecord, instance: string): boolean {
    return this.#closed || m.instanceId !== instance || m.state === "destroying" || m.state === "destroyed" || this.data.machines[m.id] !== m;
  }

  checkLease(m: MachineRecord, nonce: string | undefined): void {
    const lease = m.lease;
    if (lease === undefined) return;
    if (lease.expiresAt * 1000 <= Date.now()) {
      delete m.lease;
      return;
    }
    if (nonce !== lease.nonce) {
      throw new HttpError(
        409,
        `machine ${m.id} is leased by ${lease.owner} until ${new Date(lease.expiresAt * 1000).toISOString()}; ` +
          `send its nonce in the fly-machine-lease-nonce header, or wait for the lease to expire`,
      );
    }
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const set of this.#waiters.values()) for (const w of set) w();
  }
}
