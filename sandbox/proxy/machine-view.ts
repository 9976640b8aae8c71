// What the sandbox proxy needs to know of a machine, read from its config the way Fly Proxy and 6PN
// read it: the services (ports, handlers, force_https, internal_port, autostart) and the address the
// process listens on (its PORT and HOST env; the services default HOST to 0.0.0.0).
import type { MachineConfig } from "../../components/fly/client";
import type { ListenAddress, ProxyService } from "./fly-proxy-rules";

export interface MachineView {
  services: ProxyService[];
  listen: ListenAddress;
  /** Fly Proxy's autostop/min_machines_running follow the first service; no service = never auto-stopped. */
  autostop: "off" | "stop" | "suspend";
  autostart: boolean;
  minMachinesRunning: number;
}

export function machineViewOf(config: MachineConfig): MachineView {
  const services: ProxyService[] = (config.services ?? []).map((s) => ({
    internalPort: s.internalPort,
    autostart: s.autostartMachines ?? false,
    ports: (s.ports ?? []).map((p) => ({
      ...(p.port !== undefined ? { port: p.port } : {}),
      ...(p.startPort !== undefined ? { startPort: p.startPort } : {}),
      ...(p.endPort !== undefined ? { endPort: p.endPort } : {}),
      handlers: p.handlers ?? [],
      forceHttps: p.forceHttps === true,
    })),
  }));
  const first = config.services?.[0];
  const port = Number(config.env?.["PORT"]);
  return {
    services,
    listen: { port: Number.isInteger(port) && port > 0 ? port : undefined, host: config.env?.["HOST"] },
    autostop: first?.autostopMachines ?? "off",
    autostart: first?.autostartMachines ?? false,
    minMachinesRunning: first?.minMachinesRunning ?? 0,
  };
}
