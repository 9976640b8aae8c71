// Set-up for the conformance suite: the local Fly API in this process, and Fly clients whose every request
// and response goes through the OpenAPI-validating fetch (requests in client forms, both sides with no fields the
// document does not declare). Loading the document first means a missing spec
// file fails the suite with the loader's instructions instead of skipping it.
import { expect } from "vitest";
import { FlyApiError, FlyClient, type FlyClientOptions, type MachineConfig } from "../../components/fly/client";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";
import { loadFlyOpenApi, type FlyOpenApi } from "../../sandbox/openapi";
import { validatingFetch, type ValidatingFetch } from "./validating-fetch";

export const FLY_TOKEN = "fake-fly-token-conformance";
export const ORG = "personal";

/** A machine config using most of what the client can express; `volumeId` adds a mount. */
export function machineConfig(volumeId?: string): MachineConfig {
  return {
    image: "registry.example/conformance:v1",
    env: { MODE: "conformance" },
    guest: { cpuKind: "shared", cpus: 1, memoryMb: 256 },
    services: [
      {
        protocol: "tcp",
        internalPort: 8080,
        ports: [{ port: 80, handlers: ["http"] }],
        autostopMachines: "suspend",
        autostartMachines: true,
        minMachinesRunning: 0,
      },
    ],
    checks: { health: { type: "http", port: 8080, path: "/healthz", interval: "15s", timeout: "5s" } },
    ...(volumeId === undefined ? {} : { mounts: [{ volume: volumeId, path: "/data" }] }),
    restart: { policy: "on-failure", maxRetries: 3 },
    metadata: { role: "conformance" },
  };
}


export interface Conformance {
  api: LocalFlyApi;
  apiLog: string[];
  /** A client through the validating fetch; `checked` holds what it saw. */
  client(options?: Partial<FlyClientOptions>): { fly: FlyClient; checked: ValidatingFetch };
  /** Fails the test with every violation any client of this suite has seen so far, then forgets them. */
  expectConformant(): void;
  /** Moves the clock of the API's rate limits, which stands still otherwise (FlyApiOptions.rateLimitClock). */
  advanceRateLimitClock(ms: number): void;
  close(): Promise<void>;
}

export async function startConformance(): Promise<Conformance> {
  const requests: FlyOpenApi = loadFlyOpenApi(undefined, { clientForms: true, rejectUnknownFields: true });
  const responses: FlyOpenApi = loadFlyOpenApi(undefined, { rejectUnknownFields: true });
  const apiLog: string[] = [];
  let rateLimitNow = 0;
  const api = await startFlyApi({ port: 0, token: FLY_TOKEN, log: (line) => apiLog.push(line), rateLimitClock: () => rateLimitNow });
  const all: ValidatingFetch[] = [];
  return {
    api,
    apiLog,
    client(options = {}) {
      const checked = validatingFetch({ requests, responses });
      all.push(checked);
      const fly = new FlyClient({ baseUrl: api.url, token: FLY_TOKEN, env: {}, fetch: checked.fetch, ...options });
      return { fly, checked };
    },
    expectConformant() {
      const violations = all.flatMap((c) => c.violations.splice(0));
      expect(violations, "requests/responses that break Fly's OpenAPI document").toEqual([]);
    },
    advanceRateLimitClock(ms) {
      rateLimitNow += ms;
    },
    close: () => api.close(),
  };
}

/** The FlyApiError a call fails with; fails the test when it succeeds or throws something else. */
export async function flyFailure(promise: Promise<unknown>): Promise<FlyApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FlyApiError) return err;
    throw err;
  }
  throw new Error("expected the call to fail with a FlyApiError, it succeeded");
}

/** A call's result or its FlyApiError, so a loop can collect outcomes and assert on them afterwards. */
export async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: FlyApiError }> {
  try {
    return { value: await promise };
  } catch (err) {
    if (err instanceof FlyApiError) return { error: err };
    throw err;
  }
}
