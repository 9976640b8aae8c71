// Machine config: camelCase public shape <-> Fly's snake_case JSON. Pure and table-tested.
import { compact } from "./compact";
import type {
  AutostopMode,
  MachineCheck,
  MachineConfig,
  MachinePort,
  MachineService,
  MachineStopConfig,
  MachineRestart,
  StopSignal,
} from "./types";
import type { WireConfig } from "./wire";

type WireService = NonNullable<WireConfig["services"]>[number];
type WirePort = NonNullable<WireService["ports"]>[number];
type WireCheck = NonNullable<WireConfig["checks"]>[string];

/** What the client sends for a machine config (the document's form: autostop as a string). */
export type WireConfigOut = Record<string, unknown>;

function portToWire(p: MachinePort): Record<string, unknown> {
  return compact({
    port: p.port,
    start_port: p.startPort,
    end_port: p.endPort,
    handlers: p.handlers,
    force_https: p.forceHttps,
  });
}

function serviceToWire(s: MachineService): Record<string, unknown> {
  return compact({
    protocol: s.protocol,
    internal_port: s.internalPort,
    ports: s.ports?.map(portToWire),
    autostop: s.autostopMachines,
    autostart: s.autostartMachines,
    min_machines_running: s.minMachinesRunning,
    concurrency:
      s.concurrency === undefined
        ? undefined
        : compact({ type: s.concurrency.type, soft_limit: s.concurrency.softLimit, hard_limit: s.concurrency.hardLimit }),
  });
}

function checkToWire(c: MachineCheck): Record<string, unknown> {
  return compact({
    type: c.type,
    port: c.port,
    path: c.path,
    method: c.method,
    protocol: c.protocol,
    interval: c.interval,
    timeout: c.timeout,
    grace_period: c.gracePeriod,
    headers: c.headers,
  });
}

export function configToWire(config: MachineConfig): WireConfigOut {
  return compact({
    image: config.image,
    env: config.env,
    guest:
      config.guest === undefined
        ? undefined
        : { cpu_kind: config.guest.cpuKind, cpus: config.guest.cpus, memory_mb: config.guest.memoryMb },
    services: config.services?.map(serviceToWire),
    checks:
      config.checks === undefined
        ? undefined
        : Object.fromEntries(Object.entries(config.checks).map(([name, c]) => [name, checkToWire(c)])),
    mounts: config.mounts?.map((m) => compact({ volume: m.volume, path: m.path, name: m.name, size_gb: m.sizeGb, encrypted: m.encrypted })),
    restart: config.restart === undefined ? undefined : compact({ policy: config.restart.policy, max_retries: config.restart.maxRetries }),
    metadata: config.metadata,
    stop_config: config.stopConfig === undefined ? undefined : compact({ signal: config.stopConfig.signal, timeout: config.stopConfig.timeout }),
    init: config.init === undefined ? undefined : compact({ cmd: config.init.cmd, entrypoint: config.init.entrypoint, exec: config.init.exec }),
    files: config.files?.map((f) => compact({ guest_path: f.guestPath, raw_value: f.rawValue, secret_name: f.secretName, mode: f.mode })),
    auto_destroy: config.autoDestroy,
  });
}

/** Fly answers `false`/`true` for "off"/"stop"; requests use the strings. */
export function autostopFromWire(value: string | boolean | null | undefined): AutostopMode | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === false) return "off";
  if (value === true) return "stop";
  return value === "off" || value === "stop" || value === "suspend" ? value : undefined;
}

function portFromWire(p: WirePort): MachinePort {
  return compact({ port: p.port, startPort: p.start_port, endPort: p.end_port, handlers: p.handlers, forceHttps: p.force_https });
}

function serviceFromWire(s: WireService): MachineService {
  return compact({
    protocol: s.protocol ?? "tcp",
    internalPort: s.internal_port ?? 0,
    ports: s.ports?.map(portFromWire),
    autostopMachines: autostopFromWire(s.autostop),
    autostartMachines: s.autostart,
    minMachinesRunning: s.min_machines_running,
    concurrency:
      s.concurrency === undefined || s.concurrency === null
        ? undefined
        : compact({ type: s.concurrency.type, softLimit: s.concurrency.soft_limit, hardLimit: s.concurrency.hard_limit }),
  });
}

function checkFromWire(c: WireCheck): MachineCheck {
  return compact({
    type: c.type === "tcp" ? "tcp" : "http",
    port: c.port,
    path: c.path,
    method: c.method,
    protocol: c.protocol === "https" || c.protocol === "http" ? c.protocol : undefined,
    interval: c.interval,
    timeout: c.timeout,
    gracePeriod: c.grace_period,
    headers: c.headers?.map((h) => ({ name: h.name, values: h.values })),
  }) as MachineCheck;
}

export function configFromWire(wire: WireConfig | undefined): MachineConfig {
  const w = wire ?? {};
  return compact({
    image: w.image ?? "",
    env: w.env,
    guest:
      w.guest === undefined || w.guest === null
        ? undefined
        : { cpuKind: w.guest.cpu_kind ?? "shared", cpus: w.guest.cpus ?? 1, memoryMb: w.guest.memory_mb ?? 256 },
    services: w.services?.map(serviceFromWire),
    checks:
      w.checks === undefined || w.checks === null
        ? undefined
        : Object.fromEntries(Object.entries(w.checks).map(([name, c]) => [name, checkFromWire(c)])),
    mounts: w.mounts?.map((m) => compact({ volume: m.volume ?? "", path: m.path ?? "", name: m.name, sizeGb: m.size_gb, encrypted: m.encrypted })),
    restart:
      w.restart === undefined || w.restart === null
        ? undefined
        : (compact({ policy: w.restart.policy ?? "on-failure", maxRetries: w.restart.max_retries }) as MachineRestart),
    metadata: w.metadata,
    stopConfig:
      w.stop_config === undefined || w.stop_config === null
        ? undefined
        : (compact({ signal: w.stop_config.signal as StopSignal | undefined, timeout: w.stop_config.timeout }) as MachineStopConfig),
    init:
      w.init === undefined || w.init === null
        ? undefined
        : compact({ cmd: w.init.cmd, entrypoint: w.init.entrypoint, exec: w.init.exec }),
    files: w.files?.map((f) => compact({ guestPath: f.guest_path, rawValue: f.raw_value, secretName: f.secret_name, mode: f.mode })),
    autoDestroy: w.auto_destroy,
  });
}
