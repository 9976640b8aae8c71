import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FLY_OPENAPI_SPEC_ENV, defaultFlyOpenApiPath, loadFlyOpenApi } from "./index";

// The document is required: without it this suite fails with the loader's instructions (no skip).
const api = loadFlyOpenApi();
const client = loadFlyOpenApi(undefined, { clientForms: true });

describe("findOperation", () => {
  it("maps concrete /v1 paths to the document's templates, literal segments first", () => {
    expect(api.findOperation("POST", "/v1/apps/x/machines/abc")).toEqual({
      operationId: "Machines_update",
      template: "/apps/{app_name}/machines/{machine_id}",
    });
    expect(api.findOperation("get", "/v1/apps/x/machines/abc/lease")?.operationId).toBe("Machines_show_lease");
    expect(api.findOperation("GET", "/v1/apps/x/machines/abc/wait?state=started")?.operationId).toBe("Machines_wait");
    expect(api.findOperation("DELETE", "/v1/apps/x/ip_assignments/fdaa%3A%3A1")?.operationId).toBe("App_IPAssignments_delete");
  });

  it("returns undefined for unknown paths, methods, and paths without the /v1 base", () => {
    expect(api.findOperation("GET", "/v1/apps/x/nonsense")).toBeUndefined();
    expect(api.findOperation("PATCH", "/v1/apps/x")).toBeUndefined();
    expect(api.findOperation("GET", "/apps/x")).toBeUndefined();
    expect(api.validateRequest("GET", "/v1/apps/x/nonsense", undefined)).toEqual([
      expect.stringContaining("no operation in Fly's OpenAPI document matches"),
    ]);
    expect(api.validateResponse("GET", "/v1/nope", 200, {})).toHaveLength(1);
  });
});

describe("validateRequest", () => {
  it("machine create: accepts a valid body, names each wrong field", () => {
    const good = { name: "m1", region: "iad", config: { image: "registry.fly.io/app:v1", env: { A: "b" }, services: [{ internal_port: 8080, autostop: "stop" }] } };
    expect(api.validateRequest("POST", "/v1/apps/relay/machines", good)).toEqual([]);
    const bad = api.validateRequest("POST", "/v1/apps/relay/machines", { region: 3, config: { image: 5, env: { A: 1 } } });
    expect(bad.join("\n")).toContain("config.image must be string");
    expect(bad.join("\n")).toContain("region must be string");
    expect(bad.join("\n")).toContain("config.env.A must be string");
    expect(bad[0]).toContain("Machines_create");
  });

  it("autostop: the server side accepts the old boolean form, client forms must send the string", () => {
    const body = { config: { image: "img", services: [{ autostop: true }] } };
    expect(api.validateRequest("POST", "/v1/apps/relay/machines", body)).toEqual([]);
    expect(client.validateRequest("POST", "/v1/apps/relay/machines", body).join("\n")).toContain("config.services.0.autostop");
    const wrongString = { config: { image: "img", services: [{ autostop: "sometimes" }] } };
    expect(api.validateRequest("POST", "/v1/apps/relay/machines", wrongString).length).toBeGreaterThan(0);
  });

  it("volume create: size must be an integer; names follow Fly's rule (lowercase, digits, _; at most 30)", () => {
    expect(api.validateRequest("POST", "/v1/apps/vm/volumes", { name: "workspace_data", region: "iad", size_gb: 1 })).toEqual([]);
    const bad = api.validateRequest("POST", "/v1/apps/vm/volumes", { name: "Work-Space", size_gb: "1" }).join("\n");
    expect(bad).toContain("size_gb must be integer");
    expect(bad).toContain("name must match pattern");
    expect(api.validateRequest("POST", "/v1/apps/vm/volumes", { name: "a".repeat(31), size_gb: 1 })).toHaveLength(1);
  });

  it("secrets update: string values set, null unsets, anything else is named", () => {
    expect(api.validateRequest("POST", "/v1/apps/vm/secrets", { values: { A: "fake-value", B: null } })).toEqual([]);
    expect(client.validateRequest("POST", "/v1/apps/vm/secrets", { values: { B: null } })).toEqual([]);
    expect(api.validateRequest("POST", "/v1/apps/vm/secrets", { values: { C: 3 } })).toEqual([
      expect.stringContaining("values.C must be string,null"),
    ]);
  });

  it("lease acquire: ttl in the body, or (server side) in the query with no body", () => {
    const lease = "/v1/apps/vm/machines/m1/lease";
    expect(api.validateRequest("POST", lease, { ttl: 30, description: "deploy" })).toEqual([]);
    expect(api.validateRequest("POST", lease, { ttl: "30" })).toEqual([expect.stringContaining("ttl must be integer")]);
    expect(api.validateRequest("POST", `${lease}?ttl=30`, undefined)).toEqual([]);
    expect(api.validateRequest("POST", lease, undefined)).toEqual([expect.stringContaining("required by the document")]);
    expect(client.validateRequest("POST", `${lease}?ttl=30`, undefined).join("\n")).toContain('query parameter "ttl" is not in the document');
  });

  it("query parameters are typed and unknown ones are named", () => {
    expect(api.validateRequest("GET", "/v1/apps/vm/machines/m1/wait", undefined, new URLSearchParams({ state: "started", timeout: "60" }))).toEqual([]);
    expect(api.validateRequest("GET", "/v1/apps/vm/machines/m1/wait?timeout=soon", undefined)).toEqual([
      expect.stringContaining("timeout must be integer"),
    ]);
    // wait's state: "supports repeated or comma-separated values"; each one must be a documented state.
    expect(api.validateRequest("GET", "/v1/apps/vm/machines/m1/wait?state=started,stopped&state=settled", undefined)).toEqual([]);
    expect(client.validateRequest("GET", "/v1/apps/vm/machines/m1/wait?state=started,stopped", undefined)).toEqual([]);
    expect(api.validateRequest("GET", "/v1/apps/vm/machines/m1/wait?state=started,sleeping", undefined)).toEqual([
      expect.stringMatching(/query: state\.1 must be equal to one of the allowed values/),
    ]);
    expect(api.validateRequest("DELETE", "/v1/apps/vm/machines/m1?force=true", undefined)).toEqual([]);
    expect(api.validateRequest("DELETE", "/v1/apps/vm/machines/m1?kill=true", undefined)).toEqual([]);
    expect(client.validateRequest("DELETE", "/v1/apps/vm/machines/m1?kill=true", undefined)).toHaveLength(1);
    expect(api.validateRequest("GET", "/v1/apps/vm/machines?colour=red", undefined)).toEqual([
      expect.stringContaining('query parameter "colour"'),
    ]);
  });

  it("operations without a request body refuse one; app create accepts the older app_name", () => {
    expect(api.validateRequest("POST", "/v1/apps/vm/machines/m1/start", undefined)).toEqual([]);
    const noBody = api.validateRequest("POST", "/v1/apps/vm/machines/m1/start", { password: "fake-secret-value" });
    expect(noBody).toEqual([expect.stringContaining("takes no body, got an object with 1 field(s)")]);
    // Messages end up in logs and error answers: they never quote a value.
    expect(noBody.join("")).not.toContain("fake-secret-value");
    expect(api.validateRequest("POST", "/v1/apps/vm/secrets", { values: { K: 12345 } }).join("")).not.toContain("12345");
    expect(api.validateRequest("POST", "/v1/apps", { app_name: "relay", org_slug: "personal" })).toEqual([]);
    const strictClient = loadFlyOpenApi(undefined, { clientForms: true, rejectUnknownFields: true });
    expect(strictClient.validateRequest("POST", "/v1/apps", { app_name: "relay", org_slug: "personal" })).toEqual([
      expect.stringContaining('must NOT have additional properties "app_name"'),
    ]);
    expect(api.validateRequest("POST", "/v1/apps", { name: 7 })).toEqual([expect.stringContaining("name must be string")]);
  });
});

describe("document quirks and strictness", () => {
  it("a $ref the document wraps as an object but that names a string enum accepts the enum's values", () => {
    const body = { config: { image: "img", containers: [{ name: "app", healthchecks: [{ http: { port: 80, path: "/", scheme: "https" } }] }] } };
    expect(api.validateRequest("POST", "/v1/apps/relay/machines", body)).toEqual([]);
    const wrong = structuredClone(body);
    (wrong.config.containers[0]?.healthchecks[0]?.http as { scheme: string }).scheme = "gopher";
    expect(api.validateRequest("POST", "/v1/apps/relay/machines", wrong).join("\n")).toContain("scheme must be equal to one of the allowed values");
  });

  it("rejectUnknownFields names fields the document does not declare, on both sides", () => {
    const strict = loadFlyOpenApi(undefined, { rejectUnknownFields: true });
    const body = { config: { image: "img", imagee: "typo" }, regoin: "iad" };
    expect(api.validateRequest("POST", "/v1/apps/relay/machines", body)).toEqual([]);
    const problems = strict.validateRequest("POST", "/v1/apps/relay/machines", body).join("\n");
    expect(problems).toContain('(root) must NOT have additional properties "regoin"');
    expect(problems).toContain('config must NOT have additional properties "imagee"');
    expect(strict.validateResponse("GET", "/v1/apps/vm/volumes/vol_1", 200, { id: "vol_1", sizeGb: 1 }).join("\n")).toContain('"sizeGb"');
    // Maps stay open: env names are the caller's.
    expect(strict.validateRequest("POST", "/v1/apps/relay/machines", { config: { image: "img", env: { ANY_NAME: "v" } } })).toEqual([]);
    // Fly's lease wrapper is still accepted.
    expect(strict.validateResponse("POST", "/v1/apps/vm/machines/m1/lease", 201, { status: "success", data: { nonce: "n" } })).toEqual([]);
  });
});

describe("validateResponse", () => {
  it("machine show: a valid machine passes, a wrong type is named; responses may say autostop false", () => {
    const machine = { id: "m1", name: "m1", state: "started", region: "iad", config: { image: "img", services: [{ autostop: false }] } };
    expect(api.validateResponse("GET", "/v1/apps/vm/machines/m1", 200, machine)).toEqual([]);
    expect(api.validateResponse("GET", "/v1/apps/vm/machines/m1", 200, { ...machine, id: 3 })).toEqual([
      expect.stringContaining("response 200 body: id must be string"),
    ]);
    expect(api.validateResponse("GET", "/v1/apps/vm/machines/m1", 200, undefined)).toEqual([
      expect.stringContaining("the response was empty"),
    ]);
  });

  it("volume create and secrets update responses", () => {
    expect(api.validateResponse("POST", "/v1/apps/vm/volumes", 200, { id: "vol_1", name: "data", size_gb: 1, region: "iad" })).toEqual([]);
    expect(api.validateResponse("POST", "/v1/apps/vm/volumes", 200, { id: "vol_1", size_gb: "1" })).toEqual([
      expect.stringContaining("size_gb must be integer"),
    ]);
    expect(api.validateResponse("POST", "/v1/apps/vm/secrets", 200, { version: 2, secrets: [] })).toEqual([]);
    expect(api.validateResponse("POST", "/v1/apps/vm/secrets", 200, { version: "2" })).toEqual([
      expect.stringContaining("version must be integer"),
    ]);
  });

  it("lease acquire: a bare lease or Fly's {status, data} wrapper", () => {
    const lease = "/v1/apps/vm/machines/m1/lease";
    const body = { nonce: "fake-nonce", expires_at: 1_900_000_000, owner: "me" };
    expect(api.validateResponse("POST", lease, 201, body)).toEqual([]);
    expect(api.validateResponse("POST", lease, 201, { status: "success", data: body })).toEqual([]);
    expect(api.validateResponse("POST", lease, 201, { nonce: 5 }).join("\n")).toContain("nonce must be string");
  });

  it("statuses: undocumented success is a violation; errors use Fly's error shape; open bodies stay open", () => {
    expect(api.validateResponse("GET", "/v1/apps/vm/machines/m1", 204, undefined)).toEqual([
      expect.stringContaining("status 204 is not documented"),
    ]);
    expect(api.validateResponse("GET", "/v1/apps/vm/machines/m1", 404, { error: "machine not found" })).toEqual([]);
    expect(api.validateResponse("GET", "/v1/apps/vm/machines/m1", 429, undefined)).toEqual([]);
    expect(api.validateResponse("GET", "/v1/apps/vm/machines/m1", 404, { error: 404 })).toEqual([
      expect.stringContaining("error must be string"),
    ]);
    // README "create app response": 201 with an app object, {id, created_at}, or empty.
    expect(api.validateResponse("POST", "/v1/apps", 201, undefined)).toEqual([]);
    expect(api.validateResponse("POST", "/v1/apps", 201, { id: "app_1", created_at: 1 })).toEqual([]);
  });
});

describe("loadFlyOpenApi", () => {
  const saved = process.env[FLY_OPENAPI_SPEC_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[FLY_OPENAPI_SPEC_ENV];
    else process.env[FLY_OPENAPI_SPEC_ENV] = saved;
  });

  it("a missing file says what is missing, where it looked, and how to get it", () => {
    const missing = path.join(tmpdir(), "no-such-dir-textslash", "openapi.json");
    process.env[FLY_OPENAPI_SPEC_ENV] = missing;
    expect(defaultFlyOpenApiPath()).toBe(missing);
    let message = "";
    try {
      loadFlyOpenApi();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("OpenAPI document is missing");
    expect(message).toContain(missing);
    expect(message).toContain("https://docs.machines.dev/spec/openapi3.json");
    expect(message).toContain("FLY_OPENAPI_SPEC");
  });

  it("a file that is not an OpenAPI document is refused", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "openapi-"));
    const file = path.join(dir, "bad.json");
    writeFileSync(file, "{not json");
    expect(() => loadFlyOpenApi(file)).toThrow(/not readable JSON/);
    writeFileSync(file, "{}");
    expect(() => loadFlyOpenApi(file)).toThrow(/not an OpenAPI 3 document/);
  });
});
