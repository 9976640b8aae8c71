// The local Fly API against the README's "known disagreements" (../shared/fly/README.md): the server side
// accepts both forms, and answers in the form Fly answers. Raw HTTP, so this checks the API, not the client;
// every response is still checked against the document.
import { afterAll, describe, expect, it } from "vitest";
import { startFlyApi, type LocalFlyApi } from "../../sandbox/flyapi";
import { loadFlyOpenApi } from "../../sandbox/openapi";

const TOKEN = "fake-fly-token-readme-forms";
const responses = loadFlyOpenApi(undefined, { rejectUnknownFields: true });
const started: Promise<LocalFlyApi> = startFlyApi({ port: 0, token: TOKEN, log: () => undefined, transitionMs: 5 });
started.catch(() => undefined); // reported by each test
afterAll(async () => {
  await (await started.catch(() => undefined))?.close();
});

interface Answer {
  status: number;
  body: unknown;
}

const violations: string[] = [];

async function call(method: string, path: string, body?: unknown, authorization = `Bearer ${TOKEN}`): Promise<Answer> {
  const api = await started;
  const headers: Record<string, string> = { authorization };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(api.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const pathOnly = path.split("?")[0] ?? path;
  for (const v of responses.validateResponse(method, pathOnly, response.status, parsed)) violations.push(`${method} ${path}: ${v}`);
  return { status: response.status, body: parsed };
}

async function createApp(name: string): Promise<void> {
  // `?wait=true` as fly-go sends it: Fly answers once the app exists (flaps/flaps_apps.go).
  expect((await call("POST", "/v1/apps?wait=true", { name, org_slug: "personal" })).status).toBe(201);
}

async function startedMachine(app: string, config: Record<string, unknown> = { image: "registry.example/readme:v1" }): Promise<string> {
  const created = await call("POST", `/v1/apps/${app}/machines`, { region: "iad", config });
  expect(created.status).toBe(200);
  const id = (created.body as { id: string }).id;
  expect((await call("GET", `/v1/apps/${app}/machines/${id}/wait?state=started&timeout=10`)).status).toBe(200);
  return id;
}

describe("the local Fly API accepts both forms the README lists", () => {
  it("create app: `name` (document) and `app_name` (older clients)", async () => {
    await createApp("readme-by-name");
    expect((await call("POST", "/v1/apps?wait=true", { app_name: "readme-by-app-name", org_slug: "personal" })).status).toBe(201);
    expect((await call("GET", "/v1/apps/readme-by-app-name")).status).toBe(200);
    expect(violations).toEqual([]);
  });

  it("auth: `Bearer <token>`, `FlyV1 <token>`, `Bearer FlyV1 <token>`; anything else is 401", async () => {
    await createApp("readme-auth");
    for (const form of [`Bearer ${TOKEN}`, `FlyV1 ${TOKEN}`, `Bearer FlyV1 ${TOKEN}`]) {
      expect((await call("GET", "/v1/apps/readme-auth", undefined, form)).status).toBe(200);
    }
    for (const form of [`Token ${TOKEN}`, "Bearer fake-fly-token-wrong", TOKEN, ""]) {
      expect((await call("GET", "/v1/apps/readme-auth", undefined, form)).status).toBe(401);
    }
    expect(violations).toEqual([]);
  });

  it("lease TTL: `{\"ttl\": N}` body or `?ttl=N` query with no body", async () => {
    await createApp("readme-lease");
    const id = await startedMachine("readme-lease");
    const byQuery = await call("POST", `/v1/apps/readme-lease/machines/${id}/lease?ttl=30`);
    expect(byQuery.status).toBe(201);
    const nonce = leaseNonce(byQuery.body);
    expect(nonce).toEqual(expect.any(String));
    // The lease the query asked for is held: a body-TTL acquire by someone else is refused.
    expect((await call("POST", `/v1/apps/readme-lease/machines/${id}/lease`, { ttl: 30 })).status).toBe(409);
    const other = await startedMachine("readme-lease");
    expect((await call("POST", `/v1/apps/readme-lease/machines/${other}/lease`, { ttl: 30 })).status).toBe(201);
    expect(violations).toEqual([]);
  });

  it("delete machine: `?force=true` (docs) and `?kill=true` (Fly's Go client) both destroy a running machine", async () => {
    await createApp("readme-delete");
    for (const flag of ["force", "kill"]) {
      const id = await startedMachine("readme-delete");
      expect((await call("DELETE", `/v1/apps/readme-delete/machines/${id}?${flag}=true`)).status).toBe(200);
      expect((await call("GET", `/v1/apps/readme-delete/machines/${id}/wait?state=destroyed&timeout=10`)).status).toBe(200);
    }
    expect(violations).toEqual([]);
  });

  it("volume names: lowercase letters, digits and underscores, at most 30 characters", async () => {
    await createApp("readme-volumes");
    const ok = await call("POST", "/v1/apps/readme-volumes/volumes", { name: "data_01", region: "iad", size_gb: 1 });
    expect(ok.status).toBe(200);
    expect((await call("POST", "/v1/apps/readme-volumes/volumes", { name: "a".repeat(30), region: "iad", size_gb: 1 })).status).toBe(200);
    for (const name of ["Data", "my-data", "a".repeat(31), ""]) {
      const refused = await call("POST", "/v1/apps/readme-volumes/volumes", { name, region: "iad", size_gb: 1 });
      expect(refused.status, `volume name ${JSON.stringify(name)}`).toBeGreaterThanOrEqual(400);
      expect(refused.status).toBeLessThan(500);
    }
    expect(violations).toEqual([]);
  });

  it("IP assignment types: v4, v6, shared_v4, private_v6", async () => {
    await createApp("readme-ips");
    for (const type of ["v4", "v6", "shared_v4", "private_v6"]) {
      expect((await call("POST", "/v1/apps/readme-ips/ip_assignments", { type })).status).toBe(200);
    }
    expect((await call("POST", "/v1/apps/readme-ips/ip_assignments", { type: "v5" })).status).toBe(400);
    expect(violations).toEqual([]);
  });

  it("service autostop: requests send strings (or the old booleans); responses say false/true for off/stop and \"suspend\"", async () => {
    await createApp("readme-autostop");
    const services = [
      { protocol: "tcp", internal_port: 8080, autostop: "off" },
      { protocol: "tcp", internal_port: 8081, autostop: "stop" },
      { protocol: "tcp", internal_port: 8082, autostop: "suspend" },
      { protocol: "tcp", internal_port: 8083, autostop: true },
      { protocol: "tcp", internal_port: 8084, autostop: false },
    ];
    const id = await startedMachine("readme-autostop", { image: "registry.example/readme:v1", services });
    const shown = await call("GET", `/v1/apps/readme-autostop/machines/${id}`);
    const said = (shown.body as { config: { services: { autostop: unknown }[] } }).config.services.map((s) => s.autostop);
    expect(said).toEqual([false, true, "suspend", true, false]);
    expect(violations).toEqual([]);
  });

  it("errors are JSON {\"error\": \"...\"}", async () => {
    const missing = await call("GET", "/v1/apps/readme-no-such-app");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: expect.any(String) });
    expect(violations).toEqual([]);
  });
});

function leaseNonce(body: unknown): string | undefined {
  const wrapped = body as { data?: { nonce?: string }; nonce?: string };
  return wrapped.data?.nonce ?? wrapped.nonce;
}
