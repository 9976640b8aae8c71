// This program's stack, as the cost estimate sees it: the config's sizes plus the fixed parts
// (relay outbox volume, addresses) that textslash-stack.ts declares.
import type { Settings } from "../../config";
import { RELAY_IPS, RELAY_VOLUME_GB, VM_IPS } from "../machine-configs";
import type { StackSizing } from "./estimate";

export type SizingSettings = Pick<Settings, "region" | "relayMemoryMb" | "vmMemoryMb" | "vmCpus" | "volumeSizeGb" | "vmAutostop">;

export function stackSizing(s: SizingSettings): StackSizing {
  return {
    region: s.region,
    relayMemoryMb: s.relayMemoryMb,
    vmMemoryMb: s.vmMemoryMb,
    vmCpus: s.vmCpus,
    volumeSizeGb: s.volumeSizeGb,
    vmAutostop: s.vmAutostop,
    relayVolumeGb: RELAY_VOLUME_GB,
    relayIps: RELAY_IPS,
    vmIps: VM_IPS,
  };
}
