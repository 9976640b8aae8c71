// @ts-check
// Polls the deployment's endpoints from outside until each answers, or fails naming what did not answer
// and what it answered last. Plain JavaScript (type-checked through JSDoc) because it runs where
// `pulumi up` runs, as the command of the stack's @pulumi/command check (main.mjs), with nothing but
// Node: no TypeScript runtime at deploy time. Pure: the fetch, clock and sleep are passed in, so it is
// table-tested without a network (tests/components/deployment-check-poll.test.ts).

/**
 * @typedef {object} Endpoint
 * @property {string} name What it is, for messages: "the relay's public /health".
 * @property {string} url
 * @property {string} hint How to look into it when it does not answer.
 */

/** @typedef {{ ok: true } | { ok: false, what: string }} Outcome What a single attempt saw. */

/**
 * @typedef {object} HttpAnswer
 * @property {number} status
 * @property {string | null} [location]
 * @property {string} body
 */

/**
 * @typedef {object} PollDeps
 * @property {(url: string, timeoutMs: number) => Promise<HttpAnswer>} get One GET that does not follow
 *   redirects (a redirect is an answer, not the endpoint); rejects on network errors.
 * @property {() => number} now
 * @property {(ms: number) => Promise<void>} sleep
 */

/**
 * @typedef {object} PollOptions
 * @property {number} timeoutMs
 * @property {number} intervalMs
 * @property {number} attemptTimeoutMs Each attempt's own limit.
 */

/** @type {Readonly<PollOptions>} */
export const DEFAULT_POLL = Object.freeze({ timeoutMs: 180_000, intervalMs: 2_000, attemptTimeoutMs: 10_000 });

/**
 * A health endpoint answers 200 with JSON `{"ok": true, ...}` (the relay's /health, services/relay routes/health.ts).
 * @param {HttpAnswer} answer
 * @returns {Outcome}
 */
export function judge(answer) {
  if (answer.status >= 300 && answer.status < 400) {
    return { ok: false, what: `HTTP ${answer.status} redirect to ${answer.location ?? "(no Location)"}` };
  }
  if (answer.status !== 200) return { ok: false, what: `HTTP ${answer.status}: ${answer.body.trim().slice(0, 200) || "(empty body)"}` };
  try {
    if (JSON.parse(answer.body)?.ok === true) return { ok: true };
  } catch {
    // not JSON
  }
  return { ok: false, what: `HTTP 200 without {"ok": true}: ${answer.body.trim().slice(0, 200) || "(empty body)"}` };
}

/** @param {unknown} err */
function describeFailure(err) {
  if (!(err instanceof Error)) return String(err);
  if (err.name === "TimeoutError" || err.name === "AbortError") return "no answer (timed out)";
  // node:http puts the system error's code on the error itself; fetch on its cause.
  const own = /** @type {{ code?: unknown }} */ (err).code;
  const cause = /** @type {{ code?: unknown, message?: unknown } | undefined} */ (err.cause);
  const detail = own !== undefined ? String(own) : cause?.code !== undefined ? String(cause.code) : typeof cause?.message === "string" ? cause.message : "";
  return detail && !err.message.includes(detail) ? `${err.message} (${detail})` : err.message;
}

export class DeploymentNotAnswering extends Error {
  /**
   * @param {{ endpoint: Endpoint, last: string }[]} failures
   * @param {number} timeoutMs
   */
  constructor(failures, timeoutMs) {
    const seconds = Math.round(timeoutMs / 1000);
    const lines = failures.map(({ endpoint, last }) => `- ${endpoint.name}: GET ${endpoint.url} did not answer 200 {"ok": true} within ${seconds}s (last: ${last}). ${endpoint.hint}`);
    super(`the deployment does not answer from outside:\n${lines.join("\n")}`);
    this.name = "DeploymentNotAnswering";
    this.failures = failures;
  }
}

/**
 * Polls every endpoint (in turn, each until it answers) within one overall budget; resolves with the attempts made.
 * @param {Endpoint[]} endpoints
 * @param {PollDeps} deps
 * @param {PollOptions} [options]
 * @returns {Promise<{ attempts: number }>}
 */
export async function waitUntilAnswering(endpoints, deps, options = DEFAULT_POLL) {
  const deadline = deps.now() + options.timeoutMs;
  const pending = new Map(endpoints.map((e) => [e.url, { endpoint: e, last: "not tried" }]));
  let attempts = 0;
  for (;;) {
    for (const [url, entry] of pending) {
      attempts++;
      /** @type {Outcome} */
      let outcome;
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
