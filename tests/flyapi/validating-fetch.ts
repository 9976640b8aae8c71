// A fetch wrapper that checks every request the Fly client sends and every response it gets against Fly's
// OpenAPI document, collecting violations instead of throwing so a test can report them all at once.
import type { FetchLike } from "../../components/fly/client";
import type { FlyOpenApi } from "../../sandbox/openapi";

export interface ExchangeRecord {
  method: string;
  path: string;
  status: number | undefined;
  operationId: string | undefined;
}

export interface ValidatingFetch {
  fetch: FetchLike;
  /** Every violation seen so far, each prefixed with the exchange it came from. */
  violations: string[];
  exchanges: ExchangeRecord[];
  /** Operation ids seen, to show a test covered what it claims. */
  operations(): Set<string>;
}

export interface ValidatingFetchOptions {
  /** Checks requests; use a `clientForms` validator so the client must send the document's form. */
  requests: FlyOpenApi;
  /** Checks responses; the server-side validator (accepts the README's alternative forms). */
  responses: FlyOpenApi;
  inner?: FetchLike;
}

const AUTH_FORMS = /^(Bearer \S+|FlyV1 \S+|Bearer FlyV1 \S+)$/;

export function validatingFetch(options: ValidatingFetchOptions): ValidatingFetch {
  const inner = options.inner ?? ((input: string, init: RequestInit) => fetch(input, init));
  const violations: string[] = [];
  const exchanges: ExchangeRecord[] = [];

  const wrapped: FetchLike = async (input, init) => {
    const url = new URL(input);
    const method = (init.method ?? "GET").toUpperCase();
    const where = `${method} ${url.pathname}${url.search}`;
    const headers = new Headers(init.headers);
    const requestText = typeof init.body === "string" ? init.body : undefined;
    let requestBody: unknown = undefined;
    if (requestText !== undefined && requestText !== "") {
      try {
        requestBody = JSON.parse(requestText);
      } catch {
        violations.push(`${where}: request body is not JSON`);
      }
      if (headers.get("content-type") !== "application/json") violations.push(`${where}: a JSON body without content-type application/json`);
    }
    if (!AUTH_FORMS.test(headers.get("authorization") ?? "")) violations.push(`${where}: authorization header is not one of Fly's forms`);
    for (const v of options.requests.validateRequest(method, url.pathname, requestBody, url.searchParams)) violations.push(`${where}: ${v}`);

    const operationId = options.requests.findOperation(method, url.pathname)?.operationId;
    const record: ExchangeRecord = { method, path: url.pathname, status: undefined, operationId };
    exchanges.push(record);
    const response = await inner(input, init);
    record.status = response.status;
    const text = await response.clone().text();
    let responseBody: unknown = undefined;
    if (text.trim() !== "") {
      try {
        responseBody = JSON.parse(text);
      } catch {
        responseBody = text;
      }
    }
    for (const v of options.responses.validateResponse(method, url.pathname, response.status, responseBody)) violations.push(`${where}: ${v}`);
    return response;
  };

  return {
    fetch: wrapped,
    violations,
    exchanges,
    operations: () => new Set(exchanges.map((e) => e.operationId).filter((id): id is string => id !== undefined)),
  };
}
