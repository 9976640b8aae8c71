// The relay's and the VM's machine configs, as pure functions of the settings (see DESIGN.md).
import type { Settings } from "../config";
import type { MachineCheck, MachineConfig } from "./fly/client";
import type { IpKind } from "./fly-service";

/** The relay is public (Twilio calls it) and Flycast-reachable; the VM has only its Flycast address. */
export const RELAY_IPS: IpKind[] = ["shared_v4", "v6", "private_v6"];
export const VM_IPS: IpKind[] = ["private_v6"];

/** The relay's outbox volume (relay_data): a queue of small JSON files and a day of images. */
export const RELAY_VOLUME_GB = 1;

const healthCheck = (port: number): MachineCheck => ({
  type: "http",
  port,
  method: "GET",
  path: "/health",
  interval: "15s",
  timeout: "5s",
  gracePeriod: "10s",
});

/** Where the relay keeps its outbox and media: on the relay_data volume (see textslash-stack.ts). */
export const RELAY_DATA_DIR = "/data/relay";

/** The relay's own port: Fly Proxy forwards its public ports here, and the VM calls it here over 6PN. */
export const RELAY_PORT = 3000;

/**
 * Where the VM posts its answers: the relay's private 6PN name on its own port, not Flycast or the
 * public port 80, whose force_https answers plain HTTP with a 301 that loses every reply. The relay is
 * always on, so `.internal` (which resolves started machines only) always has its address. Why this and
 * not a Flycast port: docs/networking.md.
 */
export const relayCallbackUrl = (prefix: string): string => `http://${prefix}-relay.internal:${RELAY_PORT}`;

/** A machine config whose image is `Image`: a string, or in the stack the digest an Output resolves to. */
export type MachineConfigWith<Image> = Omit<MachineConfig, "image"> & { image: Image };

export function relayMachineConfig<Image = string>(s: Settings, image: Image): MachineConfigWith<Image> {
  return {
    image,
    env: {
      PORT: String(RELAY_PORT),
      // `::` is dual stack in Node: Fly Proxy reaches it over IPv4 (public and Flycast ports), the VM over
      // 6PN (IPv6, `.internal`). 0.0.0.0 would refuse the VM's replies (docs: networking/app-services).
      HOST: "::",
      CLAUDE_HOST: `http://${s.prefix}-vm.flycast`,
      PUBLIC_URL: `https://${s.prefix}-relay.fly.dev`,
      // The outbox must survive image updates (Fly replaces the root filesystem), so it lives on
      // the relay_data volume mounted at /data; a subfolder keeps the volume's lost+found out of it.
      RELAY_DATA_DIR: RELAY_DATA_DIR,
    },
    guest: { cpuKind: "shared", cpus: 1, memoryMb: s.relayMemoryMb },
    services: [
      {
        protocol: "tcp",
        internalPort: RELAY_PORT,
        ports: [
          { port: 80, handlers: ["http"], forceHttps: true },
          { port: 443, handlers: ["tls", "http"] },
        ],
        autostopMachines: "off",
        autostartMachines: true,
        minMachinesRunning: 1,
      },
    ],
    checks: { health: healthCheck(RELAY_PORT) },
    restart: { policy: "always" },
  };
}

export function vmMachineConfig<Image = string>(s: Settings, image: Image): MachineConfigWith<Image> {
  return {
    image,
    env: { PORT: "3001", RELAY_CALLBACK_URL: relayCallbackUrl(s.prefix) },
    guest: { cpuKind: "shared", cpus: s.vmCpus, memoryMb: s.vmMemoryMb },
    services: [
      {
        protocol: "tcp",
        internalPort: 3001,
        ports: [{ port: 80, handlers: ["http"] }],
        autostopMachines: s.vmAutostop,
        autostartMachines: true,
        minMachinesRunning: 0,
      },
    ],
    checks: { health: healthCheck(3001) },
    restart: { policy: "on-failure" },
  };
}
