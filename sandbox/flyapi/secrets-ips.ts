// App secrets (names and digests out, values kept only in memory / the persist file) and IP assignments.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { parseBody } from "./body";
import { HttpError } from "./errors";
import { nowIso, secretDigest, type AppRecord } from "./model";
import type { HandlerContext, HandlerResult, Router } from "./router";
import { ipToWire } from "./wire";

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const updateSchema = z.looseObject({ values: z.record(z.string(), z.string().nullable()) });
const IP_TYPES = ["v4", "v6", "shared_v4", "private_v6"] as const;
const ipSchema = z.looseObject({
  type: z.enum(IP_TYPES, { message: `type must be one of ${IP_TYPES.join(", ")}` }),
  region: z.string().optional(),
  network: z.string().optional(),
  service_name: z.string().optional(),
  org_slug: z.string().optional(),
});

function secretsToWire(app: AppRecord): { name: string; digest: string; created_at: string; updated_at: string }[] {
  return Object.entries(app.secrets)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => ({ name, digest: secretDigest(app.name, name, s.value), created_at: s.createdAt, updated_at: s.updatedAt }));
}

function listSecrets(ctx: HandlerContext): HandlerResult {
  return { status: 200, body: { secrets: secretsToWire(ctx.core.app(ctx.params["app"] ?? "")) } };
}

function updateSecrets(ctx: HandlerContext): HandlerResult {
  const app = ctx.core.app(ctx.params["app"] ?? "");
  const body = parseBody(updateSchema, ctx.body, "update secrets");
  for (const name of Object.keys(body.values)) {
    if (!SECRET_NAME.test(name)) throw new HttpError(400, `secret name "${name}" is invalid: use letters, digits and underscores, not starting with a digit`);
  }
  const now = nowIso();
  for (const [name, value] of Object.entries(body.values)) {
    if (value === null) delete app.secrets[name];
    else app.secrets[name] = { value, createdAt: app.secrets[name]?.createdAt ?? now, updatedAt: now };
  }
  app.secretsVersion++;
  app.secretHistory[String(app.secretsVersion)] = Object.fromEntries(Object.entries(app.secrets).map(([k, s]) => [k, s.value]));
  ctx.core.changed();
  return { status: 200, body: { version: app.secretsVersion, secrets: secretsToWire(app) } };
}

function hex4(): string {
  return randomBytes(2).readUInt16BE(0).toString(16);
}

function address(type: (typeof IP_TYPES)[number], used: Set<string>): string {
  for (;;) {
    const b = randomBytes(2);
    const ip =
      type === "v4"
        ? `137.66.${b[0] ?? 1}.${(b[1] ?? 1) % 254 + 1}`
        : type === "shared_v4"
          ? `66.241.${124 + ((b[0] ?? 0) % 4)}.${(b[1] ?? 1) % 254 + 1}`
          : type === "v6"
            ? `2a09:8280:1::${hex4()}:${hex4()}`
            : `fdaa:0:${hex4()}:0:1::${((b[0] ?? 1) % 250) + 2}`;
    if (!used.has(ip)) return ip;
  }
}

function listIps(ctx: HandlerContext): HandlerResult {
  const appName = ctx.params["app"] ?? "";
  ctx.core.app(appName);
  return { status: 200, body: { ips: ctx.core.data.ips.filter((ip) => ip.app === appName).map(ipToWire) } };
}

function createIp(ctx: HandlerContext): HandlerResult {
  const appName = ctx.params["app"] ?? "";
  ctx.core.app(appName);
  const body = parseBody(ipSchema, ctx.body, "assign IP");
  const used = new Set(ctx.core.data.ips.map((ip) => ip.ip));
  const record = {
    app: appName,
    ip: address(body.type, used),
    type: body.type,
    region: body.region ?? "global",
    serviceName: body.service_name ?? "",
    ...(body.network !== undefined ? { network: body.network } : {}),
    ...(body.org_slug !== undefined && body.org_slug !== "" ? { orgSlug: body.org_slug } : {}),
    createdAt: nowIso(),
  };
  ctx.core.data.ips.push(record);
  ctx.core.changed();
  return { status: 200, body: ipToWire(record) };
}

function deleteIp(ctx: HandlerContext): HandlerResult {
  const appName = ctx.params["app"] ?? "";
  ctx.core.app(appName);
  const ip = ctx.params["ip"] ?? "";
  const before = ctx.core.data.ips.length;
  ctx.core.data.ips = ctx.core.data.ips.filter((r) => !(r.app === appName && r.ip === ip));
  if (ctx.core.data.ips.length === before) throw new HttpError(404, `IP ${ip} is not assigned to app "${appName}"`);
  ctx.core.changed();
  return { status: 204 };
}

export function secretAndIpRoutes(router: Router): void {
  router
    .add("GET", "/v1/apps/:app/secrets", listSecrets)
    .add("POST", "/v1/apps/:app/secrets", updateSecrets)
    .add("GET", "/v1/apps/:app/ip_assignments", listIps)
    .add("POST", "/v1/apps/:app/ip_assignments", createIp)
    .add("DELETE", "/v1/apps/:app/ip_assignments/:ip", deleteIp);
}
