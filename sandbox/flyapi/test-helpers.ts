// Shared setup for the local Fly API tests: a server on a free port and the project's own client against it.
import { expect } from "vitest";
import { FlyApiError, FlyClient } from "../../components/fly/client";
import { startFlyApi } from "./index";
import type { CheckResult, FlyApiOptions, LocalFlyApi, MachineRuntimeHook, MachineSpecInput } from "./types";

export const TOKEN = "fake-fly-token-for-sandbox-tests";

export interface Harness {
  api: LocalFlyApi;
  fly: FlyClient;
  logs: string[];
}

export async function startHarness(options: Partial<FlyApiOptions> = {}): Promise<Harness> {
  const logs: string[] = [];
  const api = await startFlyApi({ token: TOKEN, transitionMs: 10, checkResponses: true, log: (l) => logs.push(l), ...options });
  // No retries: the tests look at each answer as the server gave it.
  const fly = new FlyClient({ token: TOKEN, baseUrl: api.url, env: {}, retry: { maxAttempts: 1 } });
  return { api, fly, logs };
}

/** Log lines saying a response broke the OpenAPI document (every test expects none). */
export function shapeProblems(harness: Harness): string[] {
  return harness.logs.filter((l) => l.includes("does not match the OpenAPI document"));
}

/** Closes the server after checking that no response it gave broke the document. */
export async function closeHarness(harness: Harness | undefined): Promise<void> {
  if (harness === undefined) return;
  await harness.api.close();
  expect(shapeProblems(harness)).toEqual([]);
}

export type HookCall = { op: "start" | "update"; spec: MachineSpecInput } | { op: "stop" | "suspend" | "destroy"; id: string };

/** A runtime hook that records every call; `failStart` makes start throw for that image. */
export class RecordingHook implements MachineRuntimeHook {
  readonly calls: HookCall[] = [];
  failStartImage: string | undefined;
  port: number | undefined = 4000;
  checkResults: CheckResult[] = [];

  start(spec: MachineSpecInput): Promise<number | undefined> {
    this.calls.push({ op: "start", spec });
    if (spec.image === this.failStartImage) return Promise.reject(new Error(`fake runtime: image ${spec.image} will not start`));
    return Promise.resolve(this.port);
  }
  update(spec: MachineSpecInput): Promise<number | undefined> {
    this.calls.push({ op: "update", spec });
    return Promise.resolve(this.port);
  }
  stop(id: string): Promise<void> {
    this.calls.push({ op: "stop", id });
    return Promise.resolve();
  }
  suspend(id: string): Promise<void> {
    this.calls.push({ op: "suspend", id });
    return Promise.resolve();
  }
  destroy(id: string): Promise<void> {
    this.calls.push({ op: "destroy", id });
    return Promise.resolve();
  }
  checks(): Promise<CheckResult[]> {
    return Promise.resolve(this.checkResults);
  }

  readonly #exitListeners = new Set<(id: string, exitCode: number | null) => void>();
  onExit(listener: (id: string, exitCode: number | null) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }
  /** Plays a process exiting on its own (a crash when the code is not 0). */
  exit(id: string, exitCode: number | null): void {
    for (const listener of this.#exitListeners) listener(id, exitCode);
  }
}

/** Raw HTTP for what the client does not expose (query forms, control endpoints, bad tokens). */
export async function raw(
  api: LocalFlyApi,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; json: unknown; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers["authorization"] = `Bearer ${options.token ?? api.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(api.url + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** The FlyApiError a call fails with; any other outcome fails the test. */
export async function flyErrorOf(call: Promise<unknown>): Promise<FlyApiError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FlyApiError)) throw new Error(`expected a FlyApiError, got ${String(err)}`);
  return err;
}
