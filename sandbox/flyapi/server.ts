// The HTTP front: auth, faults, rate limits, request validation, routing, the request log.
import type { IncomingMessage, ServerResponse } from "node:http";
import { isAuthorized } from "./auth";
import { appRoutes } from "./apps";
import { control, type ControlTarget } from "./control";
import type { SandboxCore } from "./core";
import { HttpError } from "./errors";
import { leaseRoutes } from "./leases";
import { execRoutes } from "./exec";
import { machineRoutes } from "./machines";
import { MUTATION_RULE, READ_RULE, type RateLimiter } from "./ratelimit";
import { Router } from "./router";
import { secretAndIpRoutes } from "./secrets-ips";
import type { ExecResponder, RequestLogEntry } from "./types";
import { volumeRoutes } from "./volumes";

/** Query parameters whose values are safe to keep in the request log; any other value is dropped. */
const LOGGED_QUERY = new Set(["state", "timeout", "force", "kill", "include_deleted", "region", "org_slug", "ttl", "instance_id", "version", "summary", "limit", "wait"]);
const MAX_BODY_BYTES = 1 << 20;
const MAX_LOG = 5000;

export interface RequestValidator {
  findOperation(method: string, path: string): { operationId: string } | undefined;
  validateRequest(method: string, path: string, body: unknown, query?: URLSearchParams): string[];
  validateResponse(method: string, path: string, status: number, body: unknown): string[];
}

export interface ServerDeps {
  core: SandboxCore;
  token: string;
  limiter: RateLimiter;
  validator?: RequestValidator;
  controls: ControlTarget;
  random: () => number;
  checkResponses: boolean;
  /** What exec'd commands print (a test plays the machine's process); see exec.ts. */
  execResponder?: () => ExecResponder | undefined;
}

export function buildRouter(execResponder: () => ExecResponder | undefined = () => undefined): Router {
  const router = new Router();
  execRoutes(router, execResponder);
  appRoutes(router);
  machineRoutes(router);
  leaseRoutes(router);
  secretAndIpRoutes(router);
  volumeRoutes(router);
  return router;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function loggedPath(url: URL): string {
  const kept = [...url.searchParams.entries()].map(([k, v]) => (LOGGED_QUERY.has(k) ? `${k}=${encodeURIComponent(v)}` : k));
  return kept.length === 0 ? url.pathname : `${url.pathname}?${kept.join("&")}`;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The app a create-app body names, for the request log. */
function appNameOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const name = record["name"] ?? record["app_name"];
  return typeof name === "string" && name !== "" ? name : undefined;
}

export class RequestLog {
  readonly entries: RequestLogEntry[] = [];
  writes = 0;

  add(entry: RequestLogEntry, isControl: boolean): void {
    if (!isControl && entry.method !== "GET") this.writes++;
    this.entries.push(entry);
    if (this.entries.length > MAX_LOG) this.entries.splice(0, this.entries.length - MAX_LOG);
  }
}

export function createHandler(deps: ServerDeps, log: RequestLog): (req: IncomingMessage, res: ServerResponse) => void {
  const router = buildRouter(deps.execResponder);
  return (req, res) => {
    const startedAt = Date.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://sandbox.local");
    const isControl = url.pathname.startsWith("/__sandbox/");
    const operation = isControl ? undefined : deps.validator?.findOperation(method, url.pathname)?.operationId;
    const appMatch = /^\/v1\/apps\/([^/]+)/.exec(url.pathname);
    let app = appMatch?.[1] !== undefined ? safeDecode(appMatch[1]) : undefined;

    // A client may put the token where it does not belong (a path, a body): nothing written back or logged carries it.
    const scrub = (text: string): string => text.split(deps.token).join("[redacted]");
    const finish = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = body === undefined ? "" : scrub(JSON.stringify(body));
      res.writeHead(status, { ...(text !== "" ? { "content-type": "application/json; charset=utf-8" } : {}), ...headers });
      res.end(text);
      if (deps.checkResponses && deps.validator !== undefined && operation !== undefined) {
        for (const problem of deps.validator.validateResponse(method, url.pathname, status, body)) {
          deps.core.log(scrub(`local Fly API: response does not match the OpenAPI document: ${problem}`));
        }
      }
      log.add(
        {
          method,
          path: scrub(loggedPath(url)),
          status,
          ...(app !== undefined ? { app: scrub(app) } : {}),
          ...(operation !== undefined ? { operation } : {}),
          startedAt,
          durationMs: Date.now() - startedAt,
        },
        isControl,
      );
    };

    void (async () => {
      try {
        if (!isAuthorized(req.headers.authorization, deps.token)) {
          // Nothing from the header is echoed: it may be a real token sent to the wrong place.
          throw new HttpError(401, "unauthorized: send the sandbox token as 'Authorization: Bearer <token>' (see FLY_API_TOKEN printed by the sandbox)");
        }
        const text = await readBody(req);
        let body: unknown = undefined;
        if (text.trim() !== "") {
          try {
            body = JSON.parse(text);
          } catch {
            throw new HttpError(400, "request body is not valid JSON");
          }
        }
        if (app === undefined && method === "POST" && url.pathname === "/v1/apps") app = appNameOf(body);
        if (isControl) {
          const answer = control(deps.controls, method, url.pathname, body);
          if (answer !== undefined) return finish(answer.status, answer.body);
        }
        const faults = deps.core.faults;
        if ((faults.latencyMs ?? 0) > 0) await deps.core.sleep(faults.latencyMs ?? 0);
        if ((faults.errorRate ?? 0) > 0 && deps.random() < (faults.errorRate ?? 0)) {
          throw new HttpError(503, "sandbox fault: injected server error (errorRate); retry the request");
        }
        const wait = deps.limiter.take(`${app ?? "-"} ${method} ${operation ?? url.pathname}`, method === "GET" ? READ_RULE : MUTATION_RULE);
        if (wait > 0) {
          throw new HttpError(429, `rate limited: too many ${operation ?? method} requests for app "${app ?? "-"}"; retry after ${wait}s`, {
            "retry-after": String(wait),
          });
        }
        const matched = router.match(method, url.pathname);
        if (matched === undefined) throw new HttpError(404, `the local Fly API does not serve ${method} ${url.pathname}`);
        if (deps.validator !== undefined && operation !== undefined) {
          const problems = deps.validator.validateRequest(method, url.pathname + url.search, body, url.searchParams);
          if (problems.length > 0) throw new HttpError(400, problems.join("; "));
        }
        const leaseNonce = req.headers["fly-machine-lease-nonce"];
        const result = await matched.handler({
          core: deps.core,
          params: matched.params,
          query: url.searchParams,
          body,
          leaseNonce: typeof leaseNonce === "string" ? leaseNonce : undefined,
        });
        const lose = operation === undefined ? undefined : deps.core.faults.loseAnswers;
        if (lose !== undefined && operation !== undefined && (lose[operation] ?? 0) > 0 && result.status < 300) {
          lose[operation] = (lose[operation] ?? 0) - 1;
          deps.core.log(`local Fly API: ${operation} carried out, its answer lost (loseAnswers fault)`);
          throw new HttpError(504, "sandbox fault: the request was carried out but its answer was lost (loseAnswers)");
        }
        finish(result.status, result.body);
      } catch (err) {
        if (err instanceof HttpError) return finish(err.status, { error: err.message }, err.headers);
        deps.core.log(scrub(`local Fly API: ${method} ${url.pathname} failed: ${(err as Error).stack ?? String(err)}`));
        finish(500, { error: `internal sandbox error: ${(err as Error).message}` });
      }
    })().catch((err: unknown) => {
      // Only reachable if answering itself failed (e.g. the client went away mid-answer).
      deps.core.log(scrub(`local Fly API: could not answer ${method} ${url.pathname}: ${(err as Error).message}`));
    });
  };
}
