import path from "node:path";
import type { ServiceKind } from "./images";
import type { MachineSpec } from "./spec";

// Builds the child's environment: machine env + secrets (as Fly injects them), mount paths
// rewritten to per-volume local directories, PORT, and sandbox-only additions. The Pulumi program
// never sets the sandbox-only variables; only the runtime does, so the same program serves Fly.

export interface EnvContext {
  kind: ServiceKind;
  port: number;
  /** Local directory for each mount path, e.g. "/data" → ".sandbox/volumes/vol_123". */
  mountDirs: Map<string, string>;
  /** A per-machine scratch directory standing in for the root filesystem (reset on update). */
  rootfsDir: string;
  sandboxEnv: Record<string, string>;
}

function mapPath(value: string, ctx: EnvContext): string {
  // Longest mount path first so "/data/x" mounted separately wins over "/data".
  const mounts = [...ctx.mountDirs.entries()].sort((a, b) => b[0].length - a[0].length);
  for (const [mountPath, dir] of mounts) {
    if (value === mountPath) return dir;
    if (value.startsWith(`${mountPath}/`)) return path.join(dir, value.slice(mountPath.length + 1));
  }
  return value;
}

export function childEnv(spec: MachineSpec, ctx: EnvContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...spec.env, ...spec.secrets })) env[key] = mapPath(value, ctx);
  // The images default their data dir to /data; apply the same default so it lands on the volume
  // (or on the machine's scratch rootfs when no volume is mounted there, as on Fly).
  const dataVar = ctx.kind === "vm" ? "DATA_DIR" : "RELAY_DATA_DIR";
  env[dataVar] ??= ctx.mountDirs.get("/data") ?? path.join(ctx.rootfsDir, "data");
  if (env[dataVar].startsWith("/data")) env[dataVar] = path.join(ctx.rootfsDir, env[dataVar]);
  Object.assign(env, ctx.sandboxEnv);
  env.PORT = String(ctx.port);
  env.HOST = "127.0.0.1";
  return env;
}
