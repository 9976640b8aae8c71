// Apps: create (name or app_name), show, list by org, delete (cascading to everything the app owns).
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { SandboxCore } from "./core";
import { parseBody } from "./body";
import { HttpError } from "./errors";
import { nowIso } from "./model";
import type { HandlerContext, HandlerResult, Router } from "./router";
import { appToWire } from "./wire";

const APP_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const createAppSchema = z.looseObject({
  name: z.string().optional(),
  app_name: z.string().optional(),
  org_slug: z.string().optional(),
  network: z.string().optional(),
});

function create(ctx: HandlerContext): HandlerResult {
  const body = parseBody(createAppSchema, ctx.body, "create app");
  const name = body.name ?? body.app_name;
  if (name === undefined || name === "") throw new HttpError(400, `create app: "name" (or "app_name") is required`);
  if (!APP_NAME.test(name) || name.endsWith("-")) {
    throw new HttpError(422, `app name "${name}" is invalid: use lowercase letters, digits and dashes, start with a letter, at most 63 characters`);
  }
  if (body.org_slug === undefined || body.org_slug === "") {
    throw new HttpError(400, `create app "${name}": "org_slug" is required (the organization the app belongs to, e.g. "personal")`);
  }
  const { data } = ctx.core;
  if (data.apps[name] !== undefined) throw new HttpError(422, `app name "${name}" is already taken`);
  data.counter++;
  data.apps[name] = {
    id: randomBytes(8).toString("hex"),
    name,
    orgSlug: body.org_slug,
    network: body.network ?? "default",
    createdAt: nowIso(),
    internalId: data.counter,
    secretsVersion: 0,
    secrets: {},
    secretHistory: { "0": {} },
  };
  ctx.core.changed();
  return { status: 201, body: appToWire(ctx.core, data.apps[name]) };
}

function show(ctx: HandlerContext): HandlerResult {
  return { status: 200, body: appToWire(ctx.core, ctx.core.app(ctx.params["app"] ?? "")) };
}

function list(ctx: HandlerContext): HandlerResult {
  const org = ctx.query.get("org_slug");
  const apps = Object.values(ctx.core.data.apps).filter((a) => org === null || org === "" || a.orgSlug === org);
  return { status: 200, body: { total_apps: apps.length, apps: apps.map((a) => appToWire(ctx.core, a)) } };
}

/** Removes the app and all it owns; the runtime destroys each machine's process. */
export async function deleteApp(core: SandboxCore, name: string): Promise<void> {
  core.app(name);
  const machines = Object.values(core.data.machines).filter((m) => m.app === name);
  await Promise.all(machines.filter((m) => m.state !== "destroyed").map((m) => core.destroy(m)));
  for (const m of machines) delete core.data.machines[m.id];
  for (const v of Object.values(core.data.volumes)) if (v.app === name) delete core.data.volumes[v.id];
  core.data.ips = core.data.ips.filter((ip) => ip.app !== name);
  delete core.data.apps[name];
  core.changed();
}

async function remove(ctx: HandlerContext): Promise<HandlerResult> {
  await deleteApp(ctx.core, ctx.params["app"] ?? "");
  return { status: 202 };
}

export function appRoutes(router: Router): void {
  router.add("POST", "/v1/apps", create).add("GET", "/v1/apps", list).add("GET", "/v1/apps/:app", show).add("DELETE", "/v1/apps/:app", remove);
}
