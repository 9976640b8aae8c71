// Polls the deployment's endpoints from outside until each answers, or fails naming what did not answer
// and what it answered last. Pure: the fetch, clock and sleep are passed in, so it is table-tested without a
// network (tests/components/deployment-check-poll.test.ts) and can run anywhere, a dynamic provider today
// (deployment-check.ts) or a command step later.

export interface Endpoint {
  /** What it is, for messages: "the relay's public /health". */
  name: string;
  url: string;
  /** How to look into it when it does not answer. */
  hint: string;
}

/** What a single attempt saw. */
export type Outcome =
  | { ok: true }
  | { ok: false; what: string };

export interface HttpAnswer {
  status: number;
  location?: string | null | undefined;
  body: string;
}

export interface PollDeps {
  /** One GET that does not follow redirects (a redirect is an answer, not the endpoint); rejects on network errors. */
  get(url: string, timeoutMs: number): Promise<HttpAnswer>;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Each attempt's own limit. */
  attemptTimeoutMs: number;
}

export const DEFAULT_POLL: PollOptions = { timeoutMs: 180_000, intervalMs: 2_000, attemptTimeoutMs: 10_000 };

/** A health endpoint answers 200 with JSON `{"ok": true, ...}` (the relay's /health, services/relay routes/health.ts). */
export function judge(answer: HttpAnswer): Outcome {
  if (answer.status >= 300 && answer.status < 400) {
    return { ok: false, what: `HTTP ${answer.status} redirect to ${answer.location ?? "(no Location)"}` };
  }
  if (answer.status !== 200) return { ok: false, what: `HTTP ${answer.status}: ${answer.body.trim().slice(0, 200) || "(empty body)"}` };
  try {
    const parsed = JSON.parse(answer.body) as { ok?: unknown };
    if (parsed.ok === true) return { ok: true };
  } catch {
    // not JSON
  }
  return { ok: false, what: `HTTP 200 without {"ok": true}: ${answer.body.trim().slice(0, 200) || "(empty body)"}` };
}

function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === "TimeoutError" || err.name === "AbortError") return "no answer (timed out)";
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail = cause?.code !== undefined ? String(cause.code) : typeof cause?.message === "string" ? cause.message : "";
  return detail ? `${err.message} (${detail})` : err.message;
}

export class DeploymentNotAnswering extends Error {
  constructor(readonly failures: { endpoint: Endpoint; last: string }[], timeoutMs: number) {
    const seconds = Math.round(timeoutMs / 1000);
    const lines = failures.map(({ endpoint, last }) => `- ${endpoint.name}: GET ${endpoint.url} did not answer 200 {"ok": true} within ${seconds}s (last: ${last}). ${endpoint.hint}`);
    super(`the deployment does not answer from outside:\n${lines.join("\n")}`);
    this.name = "DeploymentNotAnswering";
  }
}

/** Polls every endpoint (in turn, each until it answers) within one overall budget; resolves with the attempts made. */
export async function waitUntilAnswering(endpoints: Endpoint[], deps: PollDeps, options: PollOptions = DEFAULT_POLL): Promise<{ attempts: number }> {
  const deadline = deps.now() + options.timeoutMs;
  const pending = new Map(endpoints.map((e) => [e.url, { endpoint: e, last: "not tried" }]));
  let attempts = 0;
  for (;;) {
    for (const [url, entry] of pending) {
      attempts++;
      let outcome: Outcome;
      try {
        outcome = judge(await deps.get(url, Math.max(1, Math.min(options.attemptTimeoutMs, deadline - deps.now()))));
      } catch (err) {
        outcome = { ok: false, what: describeFailure(err) };
      }
      if (outcome.ok) pending.delete(url);
      else entry.last = outcome.what;
    }
    if (pending.size === 0) return { attempts };
    if (deps.now() + options.intervalMs > deadline) throw new DeploymentNotAnswering([...pending.values()], options.timeoutMs);
    await deps.sleep(options.intervalMs);
  }
}
