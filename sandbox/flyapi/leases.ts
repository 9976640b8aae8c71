// Machine leases: while one is held, writers without its nonce get 409 (see SandboxCore.checkLease).
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { parseBody } from "./body";
import { HttpError } from "./errors";
import { ulid, type MachineRecord } from "./model";
import type { HandlerContext, HandlerResult, Router } from "./router";
import { leaseToWire } from "./wire";

const DEFAULT_TTL_SECONDS = 30;
const leaseBodySchema = z.looseObject({ ttl: z.number().int().positive().optional(), description: z.string().optional() });

function live(m: MachineRecord): MachineRecord["lease"] {
  if (m.lease !== undefined && m.lease.expiresAtMs <= Date.now()) delete m.lease;
  return m.lease;
}

function acquire(ctx: HandlerContext): HandlerResult {
  const m = ctx.core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  const body = parseBody(leaseBodySchema, ctx.body, "create lease");
  const queryTtl = ctx.query.get("ttl");
  const ttl = body.ttl ?? (queryTtl !== null ? Number(queryTtl) : DEFAULT_TTL_SECONDS);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new HttpError(400, `lease ttl must be a positive whole number of seconds (got "${String(queryTtl)}")`);
  const held = live(m);
  const expiresAtMs = Date.now() + ttl * 1000;
  if (held !== undefined) {
    if (ctx.leaseNonce !== held.nonce) {
      throw new HttpError(409, `machine ${m.id} already has a lease held by ${held.owner}, expiring ${new Date(held.expiresAtMs).toISOString()}`);
    }
    // The holder refreshes: same nonce, new expiry.
    held.expiresAtMs = expiresAtMs;
    held.version = ulid();
    ctx.core.changed();
    return { status: 201, body: leaseToWire(held) };
  }
  m.lease = { nonce: randomBytes(8).toString("hex"), expiresAtMs, owner: "sandbox@local", description: body.description ?? "", version: ulid() };
  ctx.core.changed();
  return { status: 201, body: leaseToWire(m.lease) };
}

function show(ctx: HandlerContext): HandlerResult {
  const m = ctx.core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  const held = live(m);
  if (held === undefined) throw new HttpError(404, `machine ${m.id} has no lease`);
  return { status: 200, body: leaseToWire(held) };
}

function release(ctx: HandlerContext): HandlerResult {
  const m = ctx.core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
  const held = live(m);
  if (held === undefined) return { status: 200, body: { ok: true } };
  if (ctx.leaseNonce !== held.nonce) throw new HttpError(409, `machine ${m.id}'s lease is held by ${held.owner}; send its nonce in fly-machine-lease-nonce to release it`);
  delete m.lease;
  ctx.core.changed();
  return { status: 200, body: { ok: true } };
}

export function leaseRoutes(router: Router): void {
  const path = "/v1/apps/:app/machines/:id/lease";
  router.add("POST", path, acquire).add("GET", path, show).add("DELETE", path, release);
}
