// The /__sandbox control endpoints (token-checked like the API): request log, faults, rate limits, state.
import { z } from "zod";
import { parseBody } from "./body";
import type { SandboxCore } from "./core";
import type { FlyApiFaults, RequestLogEntry, SandboxState } from "./types";

export const faultsSchema = z.strictObject({
  latencyMs: z.number().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
  slowStartMs: z.number().min(0).optional(),
  failingChecks: z.record(z.string(), z.string()).optional(),
  loseAnswers: z.record(z.string(), z.number().int().min(0)).optional(),
});
const rateLimitsSchema = z.strictObject({ on: z.boolean() });
const foreignAppSchema = z.strictObject({ name: z.string().min(1) });
const volumeStateSchema = z.strictObject({ id: z.string().min(1), state: z.string().min(1) });

export interface ControlTarget {
  requests(): RequestLogEntry[];
  clearRequests(): void;
  setFaults(f: FlyApiFaults): void;
  setRateLimits(on: boolean): void;
  state(): SandboxState;
  addForeignApp(name: string): void;
  setVolumeState(id: string, state: string): void;
}

/** undefined when the path is not a control endpoint. */
export function control(target: ControlTarget, method: string, pathname: string, body: unknown): { status: number; body?: unknown } | undefined {
  const key = `${method} ${pathname}`;
  switch (key) {
    case "GET /__sandbox/requests":
      return { status: 200, body: { requests: target.requests() } };
    case "DELETE /__sandbox/requests":
      target.clearRequests();
      return { status: 200, body: { ok: true } };
    case "POST /__sandbox/faults":
      target.setFaults(parseBody(faultsSchema, body, "sandbox faults"));
      return { status: 200, body: { ok: true } };
    case "POST /__sandbox/rate-limits":
      target.setRateLimits(parseBody(rateLimitsSchema, body, "sandbox rate-limits").on);
      return { status: 200, body: { ok: true } };
    case "GET /__sandbox/state":
      return { status: 200, body: target.state() };
    case "POST /__sandbox/volume-state": {
      const { id, state } = parseBody(volumeStateSchema, body, "sandbox volume-state");
      target.setVolumeState(id, state);
      return { status: 200, body: { ok: true } };
    }
    case "POST /__sandbox/foreign-apps":
      target.addForeignApp(parseBody(foreignAppSchema, body, "sandbox foreign-apps").name);
      return { status: 200, body: { ok: true } };
    default:
      return pathname.startsWith("/__sandbox/") ? { status: 404, body: { error: `no sandbox control endpoint ${key}` } } : undefined;
  }
}

export function stateOf(core: SandboxCore): SandboxState {
  const { data } = core;
  const own = Object.values(data.apps).filter((a) => a.foreign !== true);
  return {
    apps: own.map((a) => a.name).sort(),
    machines: Object.values(data.machines).map((m) => ({
      id: m.id,
      app: m.app,
      state: m.state,
      image: String(m.config["image"] ?? ""),
      secretsVersion: m.secretsVersion,
    })),
    volumes: Object.values(data.volumes).map((v) => ({
      id: v.id,
      app: v.app,
      name: v.name,
      sizeGb: v.sizeGb,
      state: v.state ?? "created",
      ...(v.attachedMachineId !== undefined ? { attachedMachineId: v.attachedMachineId } : {}),
    })),
    ips: data.ips.map((ip) => ({ app: ip.app, type: ip.type, address: ip.ip, ...(ip.orgSlug !== undefined ? { orgSlug: ip.orgSlug } : {}) })),
    secrets: Object.fromEntries(own.map((a) => [a.name, { names: Object.keys(a.secrets).sort(), version: a.secretsVersion }])),
  };
}
