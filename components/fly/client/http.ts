// The Fly client's transport: auth, per-request timeout, bounded retries, error shaping, zod parsing.
import { z } from "zod";
import { FlyApiError } from "./errors";
import { resolveFlyConnection, type FlyConnectionSources } from "./settings";
import { DEFAULT_RETRY_POLICY, isRetryable, nextDelayMs, type AttemptOutcome, type RetryPolicy } from "./retry";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface FlyClientOptions extends FlyConnectionSources {
  /** A fetch implementation; defaults to the global one. */
  fetch?: FetchLike;
  /** Clock and sleep, so tests can drive retries without waiting. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). */
  random?: () => number;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout; a wait call adds its own server-side timeout on top. */
  requestTimeoutMs?: number;
}

export interface CallOptions {
  /** Mark a POST as safe to repeat, so 5xx and network failures are retried. */
  idempotent?: boolean;
  timeoutMs?: number;
}

export interface RequestSpec<T> extends CallOptions {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  /** Path below `/v1`, already escaped, e.g. `/apps/my-app/machines`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  leaseNonce?: string | undefined;
  /** Response body schema; an empty body reaches it as `undefined`. */
  schema: z.ZodType<T>;
}

export const LEASE_NONCE_HEADER = "fly-machine-lease-nonce";
const DEFAULT_TIMEOUT_MS = 30_000;
const errorBodySchema = z.looseObject({ error: z.string().optional(), message: z.string().optional() });

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Escapes one path segment (app names, ids, IP addresses). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

export class FlyHttp {
  readonly apiRoot: string;
  // A private field: it never shows in JSON.stringify, util.inspect or an error.
  readonly #token: string;
  readonly #fetch: FetchLike;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #policy: RetryPolicy;
  readonly #timeoutMs: number;

  constructor(options: FlyClientOptions = {}) {
    const connection = resolveFlyConnection(options);
    this.apiRoot = connection.apiRoot;
    this.#token = connection.token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#random = options.random ?? Math.random;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  now(): number {
    return this.#now();
  }

  /** The injected sleep, for callers that pace their own loops (waitForState). */
  sleep(ms: number): Promise<void> {
    return this.#sleep(ms);
  }

  /** Removes the token from any text that is about to leave the client (Fly might echo it). */
  #scrub(text: string): string {
    return text.split(this.#token).join("[redacted]");
  }

  #url(spec: RequestSpec<unknown>): string {
    const url = new URL(this.apiRoot + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  async request<T>(spec: RequestSpec<T>): Promise<T> {
    const idempotent = spec.idempotent ?? (spec.method === "GET" || spec.method === "PUT" || spec.method === "DELETE");
    const displayPath = `/v1${spec.path}`;
    const started = this.#now();
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      accept: "application/json",
    };
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    if (spec.leaseNonce !== undefined) headers[LEASE_NONCE_HEADER] = spec.leaseNonce;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const url = this.#url(spec);

    for (let attempt = 1; ; attempt++) {
      let outcome: AttemptOutcome;
      let failure: FlyApiError;
      try {
        const response = await this.#fetch(url, {
          method: spec.method,
          headers,
          body,
          signal: AbortSignal.timeout(spec.timeoutMs ?? this.#timeoutMs),
        });
        const text = await response.text();
        if (response.ok) return this.#parse(spec, displayPath, response.status, text);
        outcome = { kind: "status", status: response.status, retryAfterHeader: response.headers.get("retry-after") };
        failure = new FlyApiError({
          method: spec.method,
          path: displayPath,
          status: response.status,
          flyMessage: this.#scrub(flyMessageOf(text, response.statusText)),
          attempts: attempt,
        });
      } catch (err) {
        if (err instanceof FlyApiError) throw err;
        outcome = { kind: "network" };
        failure = new FlyApiError({
          method: spec.method,
          path: displayPath,
          status: undefined,
          flyMessage: this.#scrub(describeNetworkError(err)),
          attempts: attempt,
        });
      }
      if (!isRetryable(outcome, idempotent) || attempt >= this.#policy.maxAttempts) throw failure;
      const delay = nextDelayMs(outcome, attempt - 1, this.#policy, this.#now(), this.#random);
      if (this.#now() + delay - started > this.#policy.maxTotalMs) throw failure;
      await this.#sleep(delay);
    }
  }

  #parse<T>(spec: RequestSpec<T>, displayPath: string, status: number, text: string): T {
    let json: unknown = undefined;
    if (text.trim() !== "") {
      try {
        json = JSON.parse(text);
      } catch {
        throw new FlyApiError({ method: spec.method, path: displayPath, status, flyMessage: "response is not JSON" });
      }
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
        .join("; ");
      throw new FlyApiError({
        method: spec.method,
        path: displayPath,
        status,
        // Issue paths carry the response's own keys (e.g. env names), which may echo anything: scrub them too.
        flyMessage: this.#scrub(`unexpected response shape (${issues})`),
      });
    }
    return parsed.data;
  }
}

/** Fly answers errors as `{"error": "..."}`; fall back to the status text for anything else. */
function flyMessageOf(text: string, statusText: string): string {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      const message = parsed.data.error ?? parsed.data.message;
      if (message !== undefined && message !== "") return message;
    }
  } catch {
    // not JSON: use what we have
  }
  const snippet = text.trim().slice(0, 200);
  return snippet !== "" ? snippet : statusText || "no message";
}

function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError" || err.name === "AbortError") return "request timed out";
    const cause = (err as { cause?: unknown }).cause;
    const code = cause instanceof Error && "code" in cause ? ` (${String((cause as { code: unknown }).code)})` : "";
    return `network error: ${err.message}${code}`;
  }
  return "network error";
}
