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
    super(`Fly API ${where} failed${tries}: ${what}: ${init.flyMessage}`, init.cause === undefined ? undefined : { cause: init.cause });
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
