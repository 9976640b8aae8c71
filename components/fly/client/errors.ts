// The one error type the Fly client throws: it names the call and Fly's answer, never a header or the token.

export interface FlyApiErrorInit {
  method: string;
  path: string;
  /** HTTP status, or undefined when no response arrived (network error, timeout). */
  status: number | undefined;
  /** Fly's own message (`{"error": "..."}`), or a description of what went wrong locally. */
  flyMessage: string;
  /** How many attempts were made, retries included. */
  attempts?: number;
  cause?: unknown;
}

/** How to fix the answers a user can do something about; the others are the caller's to explain. */
const HINTS: Record<number, string> = {
  401:
    "Fly refused the API token: set a valid one with `pulumi config set --secret textslash:flyApiToken <token>` " +
    "or FLY_API_TOKEN; `fly tokens create org` makes one",
  403: "the API token may not act on this app or organization: use a token of the organization that owns it (`fly tokens create org`)",
  429: "Fly's rate limit held after every retry: wait a minute and run the command again; it resumes where it stopped",
};

export class FlyApiError extends Error {
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly flyMessage: string;
  readonly attempts: number;

  constructor(init: FlyApiErrorInit) {
    const where = `${init.method} ${init.path}`;
    const what = init.status === undefined ? "no response" : `HTTP ${init.status}`;
    const tries = init.attempts !== undefined && init.attempts > 1 ? ` after ${init.attempts} attempts` : "";
    const hint = HINTS[init.status ?? 0];
    super(`Fly API ${where} failed${tries}: ${what}: ${init.flyMessage}${hint ? ` (${hint})` : ""}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "FlyApiError";
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.flyMessage = init.flyMessage;
    this.attempts = init.attempts ?? 1;
  }
}

export function isFlyApiError(err: unknown): err is FlyApiError {
  return err instanceof FlyApiError;
}

/** True when Fly answered 404: the object does not exist (callers treat delete of it as done). */
export function isFlyNotFound(err: unknown): boolean {
  return isFlyApiError(err) && err.status === 404;
}

/** True when Fly answered 409: typically a lease held by someone else, or a name already taken. */
export function isFlyConflict(err: unknown): boolean {
  return isFlyApiError(err) && err.status === 409;
}

/** True when a `wait` call ran out of time (Fly answers 408). */
export function isFlyTimeout(err: unknown): boolean {
  return isFlyApiError(err) && err.status === 408;
}
