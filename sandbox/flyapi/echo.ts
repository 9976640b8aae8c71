// The machine config as Fly stores and echoes it, which is more than the client sent:
// - services' `autostop` "off"/"stop" come back as false/true ("suspend" stays a string): OpenAPI
//   fly.MachineService.autostop, and the README's disagreements table;
// - each mount carries its volume's `name`, `size_gb` and `encrypted` (fly-go machine_types.go MachineMount;
//   flyctl reads the echoed mount name when it deploys, internal/command/deploy/machines_launchinput.go);
// - what was left out is filled in: `guest` shared-cpu-1x with 256 MB (fly-go DefaultVMSize, flyctl's
//   default), `restart` on-failure (OpenAPI fly.MachineRestart: "Default when no explicit policy is set"),
//   `init` empty (Fly's docs show an echoed `init`, reference/machines/_machines_update_resp.erb).
//   Whether Fly echoes exactly these defaults is unverified (docs/stand-ins.md); they are here so that the
//   program is tested against an echo that differs from what it sent.
import type { VolumeRecord } from "./model";

export function echoedConfig(config: Record<string, unknown>, volumes: Record<string, VolumeRecord>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  const services = config["services"];
  if (Array.isArray(services)) {
    out["services"] = services.map((svc: unknown) => {
      if (typeof svc !== "object" || svc === null) return svc;
      const autostop = (svc as Record<string, unknown>)["autostop"];
      if (autostop === "off") return { ...svc, autostop: false };
      if (autostop === "stop") return { ...svc, autostop: true };
      return svc;
    });
  }
  const mounts = config["mounts"];
  if (Array.isArray(mounts)) {
    out["mounts"] = mounts.map((mount: unknown) => {
      if (typeof mount !== "object" || mount === null) return mount;
      const v = volumes[String((mount as Record<string, unknown>)["volume"] ?? "")];
      return v === undefined ? mount : { ...mount, name: v.name, size_gb: v.sizeGb, encrypted: v.encrypted };
    });
  }
  if (out["guest"] === undefined || out["guest"] === null) out["guest"] = { cpu_kind: "shared", cpus: 1, memory_mb: 256 };
  if (out["restart"] === undefined || out["restart"] === null) out["restart"] = { policy: "on-failure" };
  if (out["init"] === undefined || out["init"] === null) out["init"] = {};
  return out;
}
