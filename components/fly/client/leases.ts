// Machine leases: acquire, refresh, release, show. A lease makes other writers get 409 until it expires.
import { seg, type CallOptions, type FlyHttp } from "./http";
import { leaseFromWire } from "./mapping";
import type { FlyLease } from "./types";
import { ignoredBodySchema, wireLeaseResponseSchema } from "./wire";

export interface AcquireLeaseInput {
  /** Seconds the lease lives unless refreshed. */
  ttlSeconds?: number;
  description?: string;
}

export class FlyLeasesApi {
  constructor(private readonly http: FlyHttp) {}

  #path(appName: string, machineId: string): string {
    return `/apps/${seg(appName)}/machines/${seg(machineId)}/lease`;
  }

  /** Takes the lease; Fly answers 409 while someone else holds it. */
  async acquire(appName: string, machineId: string, input: AcquireLeaseInput = {}, options: CallOptions = {}): Promise<FlyLease> {
    const body: Record<string, unknown> = {};
    if (input.ttlSeconds !== undefined) body["ttl"] = input.ttlSeconds;
    if (input.description !== undefined) body["description"] = input.description;
    const wire = await this.http.request({ ...options, method: "POST", path: this.#path(appName, machineId), body, schema: wireLeaseResponseSchema });
    return leaseFromWire(wire);
  }

  /** Extends a lease you hold: the same call as acquire, with your nonce. Safe to repeat. */
  async refresh(appName: string, machineId: string, nonce: string, input: AcquireLeaseInput = {}, options: CallOptions = {}): Promise<FlyLease> {
    const body: Record<string, unknown> = {};
    if (input.ttlSeconds !== undefined) body["ttl"] = input.ttlSeconds;
    const wire = await this.http.request({
      idempotent: true,
      ...options,
      method: "POST",
      path: this.#path(appName, machineId),
      body,
      leaseNonce: nonce,
      schema: wireLeaseResponseSchema,
    });
    return leaseFromWire(wire);
  }

  async release(appName: string, machineId: string, nonce: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({ ...options, method: "DELETE", path: this.#path(appName, machineId), leaseNonce: nonce, schema: ignoredBodySchema });
  }

  /** The current lease; Fly answers 404 when there is none. */
  async get(appName: string, machineId: string, options: CallOptions = {}): Promise<FlyLease> {
    const wire = await this.http.request({ ...options, method: "GET", path: this.#path(appName, machineId), schema: wireLeaseResponseSchema });
    return leaseFromWire(wire);
  }
}
