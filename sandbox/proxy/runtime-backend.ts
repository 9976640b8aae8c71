import type { IpType, MachineConfig } from "../../components/fly/client";
import type { ProcessRuntime } from "../runtime/process-runtime";
import type { MachineSpecInput } from "../runtime/spec";
import { machineViewOf } from "./machine-view";
import type { ProxyBackend, ProxyMachine } from "./proxy";

// A proxy backend straight over the process runtime, without the local Fly API: each machine is
// registered with the app's IP types and its machine config (the one the program deploys, so routing
// follows the same services, handlers and env), plus the runtime spec that runs it.
export interface RegisteredMachine {
  spec: MachineSpecInput;
  config: MachineConfig;
}

export class RuntimeBackend implements ProxyBackend {
  private readonly registry = new Map<string, { ips: IpType[]; machines: RegisteredMachine[] }>();
  private readonly suspended = new Set<string>();

  constructor(private readonly runtime: ProcessRuntime) {}

  register(app: string, ips: IpType[], machine: RegisteredMachine): void {
    const entry = this.registry.get(app) ?? { ips, machines: [] };
    entry.machines.push(machine);
    this.registry.set(app, entry);
  }

  ipTypes(app: string): Promise<string[]> {
    return Promise.resolve([...(this.registry.get(app)?.ips ?? [])]);
  }

  machines(app: string): Promise<ProxyMachine[]> {
    return Promise.resolve((this.registry.get(app)?.machines ?? []).map((m) => {
      const port = this.runtime.portOf(m.spec.id);
      const state = port ? "started" : this.suspended.has(m.spec.id) ? "suspended" : "stopped";
      return { id: m.spec.id, state, port, ...machineViewOf(m.config) };
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
