// Apps: create (name or app_name), show, list by org, delete (cascading to everything the app owns).
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { SandboxCore } from "./core";
import { parseBody } from "./body";
import { HttpError } from "./errors";
import { nowIso, type AppRecord } from "./model";
import type { HandlerContext, HandlerResult, Router } from "./router";
import { appToWire } from "./wire";

const APP_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const createAppSchema = z.looseObject({
  name: z.string().optional(),
  app_name: z.string().optional(),
  org_slug: z.string().optional(),
  network: z.string().optional(),
});

function newApp(core: SandboxCore, name: string, orgSlug: string, network: string): AppRecord {
  core.data.counter++;
  return {
    id: randomBytes(8).toString("hex"),
    name,
    orgSlug,
    network,
    createdAt: nowIso(),
    internalId: core.data.counter,
    secretsVersion: 0,
    secrets: {},
    secretHistory: { "0": {} },
  };
}

/** An app of another organization (test control): its name is taken and reading it answers 403. */
export function addForeignApp(core: SandboxCore, name: string): void {
  core.data.apps[name] = { ...newApp(core, name, "another-org", "default"), foreign: true };
  core.changed();
}

/**
 * Fly creates an app asynchronously: fly-go posts `?wait=true` and then polls the app until it answers
 * (flaps/flaps_apps.go CreateApp, WaitForApp). With `wait=true` the answer comes once the app exists; without
 * it, the app answers 404 for a moment, so a client that reads it at once fails here as it would on Fly.
 */
async function create(ctx: HandlerContext): Promise<HandlerResult> {
  const body = parseBody(createAppSchema, ctx.body, "create app");
  const name = body.name ?? body.app_name;
  if (name === undefined || name === "") throw new HttpError(400, `create app: "name" (or "app_name") is required`);
  if (!APP_NAME.test(name) || name.endsWith("-")) {
    throw new HttpError(422, `app name "${name}" is invalid: use lowercase letters, digits and dashes, start with a letter, at most 63 characters`);
  }
  if (body.org_slug === undefined || body.org_slug === "") {
    throw new HttpError(400, `create app "${name}": "org_slug" is required (the organization the app belongs to, e.g. "personal")`);
  }
  const { core } = ctx;
  if (core.data.apps[name] !== undefined) throw new HttpError(422, `app name "${name}" is already taken`);
  const app = newApp(core, name, body.org_slug, body.network ?? "default");
  const readableAtMs = Date.now() + core.options.appLifecycleMs;
  core.data.apps[name] = { ...app, readableAtMs };
  core.changed();
  if (ctx.query.get("wait") === "true") await core.sleep(core.options.appLifecycleMs);
  return { status: 201, body: appToWire(core, { ...app, readableAtMs }) };
}

function show(ctx: HandlerContext): HandlerResult {
  return { status: 200, body: appToWire(ctx.core, ctx.core.app(ctx.params["app"] ?? "")) };
}

function list(ctx: HandlerContext): HandlerResult {
  const org = ctx.query.get("org_slug");
  const apps = Object.values(ctx.core.data.apps).filter((a) => a.foreign !== true && (org === null || org === "" || a.orgSlug === org));
  return { status: 200, body: { total_apps: apps.length, apps: apps.map((a) => appToWire(ctx.core, a)) } };
}

/** Removes the app and all it owns; the runtime destroys each machine's process. */
export async function deleteApp(core: SandboxCore, name: string): Promise<void> {
  const app = core.app(name);
  const machines = Object.values(core.data.machines).filter((m) => m.app === name);
  await Promise.all(machines.filter((m) => m.state !== "destroyed").map((m) => core.destroy(m)));
  for (const m of machines) delete core.data.machines[m.id];
  for (const v of Object.values(core.data.volumes)) if (v.app === name) delete core.data.volumes[v.id];
  core.data.ips = core.data.ips.filter((ip) => ip.app !== name);
  if (core.data.apps[name] === app) delete core.data.apps[name];
  core.changed();
}

/**
 * Fly accepts the delete (202) and carries it out afterwards: the app stays readable (and its name taken) until
 * then, so a client that recreates it or checks it is gone has to wait for the 404.
 */
function remove(ctx: HandlerContext): HandlerResult {
  const { core } = ctx;
  const name = ctx.params["app"] ?? "";
  const app = core.app(name);
  if (app.deleting !== true) {
    app.deleting = true;
    core.changed();
    void core.sleep(core.options.appLifecycleMs).then(() => deleteApp(core, name)).catch((err: unknown) => {
      core.log(`local Fly API: deleting app ${name} failed: ${(err as Error).message}`);
    });
  }
  return { status: 202 };
}

export function appRoutes(router: Router): void {
  router.add("POST", "/v1/apps", create).add("GET", "/v1/apps", list).add("GET", "/v1/apps/:app", show).add("DELETE", "/v1/apps/:app", remove);
}
