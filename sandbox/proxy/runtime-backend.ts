import type { ProcessRuntime } from "../runtime/process-runtime";
import type { MachineSpecInput } from "../runtime/spec";
import type { ProxyBackend, ProxyMachine } from "./proxy";

// A proxy backend straight over the process runtime, for use before (or without) the local Fly
// API: machines are registered here with their service settings. The Fly-API-backed backend
// replaces it once sandbox/flyapi lands, keeping the same ProxyBackend interface.
export interface RegisteredMachine {
  spec: MachineSpecInput;
  autostop: ProxyMachine["autostop"];
  autostart: boolean;
  minMachinesRunning: number;
}

export class RuntimeBackend implements ProxyBackend {
  private readonly registry = new Map<string, { publicIp: boolean; machines: RegisteredMachine[] }>();
  private readonly suspended = new Set<string>();

  constructor(private readonly runtime: ProcessRuntime) {}

  register(app: string, publicIp: boolean, machine: RegisteredMachine): void {
    const entry = this.registry.get(app) ?? { publicIp, machines: [] };
    entry.machines.push(machine);
    this.registry.set(app, entry);
  }

  hasPublicIp(app: string): Promise<boolean> {
    return Promise.resolve(this.registry.get(app)?.publicIp ?? false);
  }

  machines(app: string): Promise<ProxyMachine[]> {
    return Promise.resolve((this.registry.get(app)?.machines ?? []).map((m) => {
      const port = this.runtime.portOf(m.spec.id);
      const state = port ? "started" : this.suspended.has(m.spec.id) ? "suspended" : "stopped";
      return { id: m.spec.id, state, port, autostop: m.autostop, autostart: m.autostart, minMachinesRunning: m.minMachinesRunning };
    }));
  }

  async start(app: string, id: string): Promise<number> {
    const machine = this.registry.get(app)?.machines.find((m) => m.spec.id === id);
    if (!machine) throw new Error(`sandbox proxy: machine ${id} of ${app} is not registered`);
    const port = await this.runtime.start(machine.spec);
    if (port === undefined) throw new Error(`sandbox proxy: machine ${id} of ${app} runs an image the sandbox keeps as state only`);
    this.suspended.delete(id);
    await this.runtime.waitHealthy(id);
    return port;
  }

  async stop(_app: string, id: string, mode: "stop" | "suspend"): Promise<void> {
    if (mode === "suspend") {
      this.suspended.add(id);
      await this.runtime.suspend(id);
    } else {
      await this.runtime.stop(id);
    }
  }
}
