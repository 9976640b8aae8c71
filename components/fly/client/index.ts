/**
 * The Fly Machines REST client (fetch-based, no SDK).
 *
 *   const fly = new FlyClient({ token, baseUrl });           // or config: {apiUrl, apiToken}, or env
 *   const app = await fly.apps.create({ name: "me-relay", orgSlug: "personal" });
 *   const m = await fly.machines.create("me-relay", { region: "ord", config: { image: "..." } });
 *   await fly.machines.waitForState("me-relay", m.id, { state: "started", version: m.instanceId, timeoutMs: 120_000 });
 *
 * Construct it at call time (inside provider methods): construction is cheap, reads no globals beyond
 * the env fallback, and keeps the token in a private field. Every failure is a FlyApiError.
 */
export { FlyClient } from "./client";
export type { FlyClientOptions, CallOptions, FetchLike } from "./http";
export { LEASE_NONCE_HEADER } from "./http";
export type { ExecResult, LeasedCallOptions, WaitForStateInput } from "./machines";
export type { AcquireLeaseInput } from "./leases";
export { FlyApiError, isFlyApiError, isFlyNotFound, isFlyConflict, isFlyTimeout } from "./errors";
export { DEFAULT_FLY_API_URL, resolveFlyConnection } from "./settings";
export type { RetryPolicy } from "./retry";
export { DEFAULT_RETRY_POLICY } from "./retry";
export { configToWire, configFromWire } from "./config-mapping";
export { GOING_VOLUME_STATES, isVolumeGoing } from "./volumes";
export type * from "./types";
