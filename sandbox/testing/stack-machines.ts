// The relay's and the VM's machine configs and IP types exactly as the program deploys them, for tests
// that run the two services behind the sandbox proxy without the engine (so routing is tested on the
// program's real wiring: services, handlers, PORT/HOST, RELAY_CALLBACK_URL, CLAUDE_HOST).
import type { IpType, MachineConfig } from "../../components/fly/client";
import { relayMachineConfig, vmMachineConfig } from "../../components/machine-configs";
import { RELAY_IPS, VM_IPS } from "../../components/textslash-stack";
import { parseSettings } from "../../config";
import type { MachineSpecInput } from "../runtime/spec";
import { FAKE_ACCOUNT_SID } from "../daemon/fake-values";

export interface StackMachine {
  app: string;
  ips: IpType[];
  config: MachineConfig;
}

export function stackMachines(prefix: string, overrides: Record<string, string> = {}): { relay: StackMachine; vm: StackMachine } {
  const settings = parseSettings(
    { twilioAccountSid: FAKE_ACCOUNT_SID, twilioWhatsappNumber: "+15550000000", allowedPhoneNumbers: "+15550001111", prefix, ...overrides },
    { twilioAuthToken: true, anthropicApiKey: true },
    prefix,
  );
  return {
    relay: { app: `${prefix}-relay`, ips: [...RELAY_IPS], config: relayMachineConfig(settings, settings.relayImage || "registry.example/textslash-relay:test") },
    vm: { app: `${prefix}-vm`, ips: [...VM_IPS], config: vmMachineConfig(settings, settings.vmImage || "registry.example/textslash-vm:test") },
  };
}

/** The runtime spec of a machine with this config: its env and secrets, the volume at /data, its http checks. */
export function specFor(id: string, machine: StackMachine, extra: { env?: Record<string, string>; secrets?: Record<string, string>; volumeId: string }): MachineSpecInput {
  const checks = Object.entries(machine.config.checks ?? {}).map(([name, c]) => ({ name, path: c.path ?? "/" }));
  return { id, appName: machine.app, image: machine.config.image, env: { ...machine.config.env, ...extra.env }, secrets: extra.secrets ?? {},
    mounts: [{ volumeId: extra.volumeId, path: "/data" }], checks };
}
