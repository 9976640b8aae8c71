// Fly's Machines OpenAPI document as a validator: which operation a request is, and whether a request or a
// response matches the document (with the README's known relaxations, see ./relaxations). Ajv does the schema
// work; each operation's validators are compiled on first use and cached, so a server can call this per request.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { RouteTable, type OperationRef } from "./routes";
import { bodyMayBeOmitted, extraQueryParameters, relaxComponents, type RelaxationOptions, type Side } from "./relaxations";

export type { OperationRef } from "./routes";

export const FLY_OPENAPI_SPEC_ENV = "FLY_OPENAPI_SPEC";
export const FLY_OPENAPI_SPEC_URL = "https://docs.machines.dev/spec/openapi3.json";

export interface FlyOpenApiOptions {
  /**
   * Hold requests to the form the document names: no boolean autostop, no `?kill`, no `?ttl` lease without a body.
   * (An older client's `app_name` is an undeclared field: add `rejectUnknownFields` to refuse it too.) For checking
   * what the project's own client sends. Default false: the server side, which accepts both forms.
   */
  clientForms?: boolean;
  /**
   * Refuse properties the document does not declare (OpenAPI's default accepts any). For tests that want to
   * catch a misspelt field the server would silently ignore. Default false.
   */
  rejectUnknownFields?: boolean;
}

export interface FlyOpenApi {
  readonly specPath: string;
  findOperation(method: string, path: string): { operationId: string; template: string } | undefined;
  /** [] when valid; each message names the operation and the field. `path` may carry the query. */
  validateRequest(method: string, path: string, body: unknown, query?: URLSearchParams): string[];
  /** `body` is the parsed JSON, or undefined for an empty body. */
  validateResponse(method: string, path: string, status: number, body: unknown): string[];
}

type Json = Record<string, unknown>;

/** The spec path: `FLY_OPENAPI_SPEC`, else `<repo>/../shared/fly/machines-openapi.json`. */
export function defaultFlyOpenApiPath(): string {
  const fromEnv = process.env[FLY_OPENAPI_SPEC_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return path.resolve(fromEnv);
  const repoRoot = path.resolve(__dirname, "..", "..");
  return path.resolve(repoRoot, "..", "shared", "fly", "machines-openapi.json");
}

export function loadFlyOpenApi(specPath?: string, options: FlyOpenApiOptions = {}): FlyOpenApi {
  const where = specPath ?? defaultFlyOpenApiPath();
  if (!existsSync(where)) {
    throw new Error(
      `Fly's Machines OpenAPI document is missing: no file at ${where}` +
        (specPath === undefined ? ` (looked at $${FLY_OPENAPI_SPEC_ENV}, then <repo>/../shared/fly/machines-openapi.json)` : "") +
        `. Download it from Fly's docs site (${FLY_OPENAPI_SPEC_URL}), save it, and set ${FLY_OPENAPI_SPEC_ENV} to its path, ` +
        `e.g. curl -fsSL ${FLY_OPENAPI_SPEC_URL} -o /tmp/fly-openapi.json && export ${FLY_OPENAPI_SPEC_ENV}=/tmp/fly-openapi.json`,
    );
  }
  let doc: Json;
  try {
    doc = JSON.parse(readFileSync(where, "utf8")) as Json;
  } catch (err) {
    throw new Error(`Fly's Machines OpenAPI document at ${where} is not readable JSON (${(err as Error).message}); download it again from ${FLY_OPENAPI_SPEC_URL}`);
  }
  if (typeof doc["paths"] !== "object" || typeof doc["components"] !== "object") {
    throw new Error(`${where} is not an OpenAPI 3 document (no "paths"/"components"); expected Fly's Machines API document from ${FLY_OPENAPI_SPEC_URL}`);
  }
  return new FlyOpenApiValidator(where, doc, { clientForms: options.clientForms ?? false, rejectUnknownFields: options.rejectUnknownFields ?? false });
}

const DOC_ID: Record<Side, string> = { request: "fly-request", response: "fly-response" };

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Json;
}

/** The document says so in a parameter's description (wait's `state`): each value is checked against the schema. */
const MULTI_VALUED = /repeated or comma-separated/i;

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
  responses?: Record<string, { content?: Record<string, { schema?: Json }> }>;
}

class FlyOpenApiValidator implements FlyOpenApi {
  readonly #routes: RouteTable;
  readonly #ajv: Ajv;
  readonly #paths: Record<string, Record<string, unknown>>;
  readonly #cache = new Map<string, ValidateFunction>();
  readonly #options: RelaxationOptions;

  constructor(
    readonly specPath: string,
    doc: Json,
    options: RelaxationOptions,
  ) {
    this.#options = options;
    const servers = doc["servers"] as { url?: string }[] | undefined;
    const basePath = new URL(servers?.[0]?.url ?? "https://api.machines.dev/v1").pathname.replace(/\/$/, "");
    const paths = doc["paths"] as Record<string, Record<string, unknown>>;
    this.#routes = new RouteTable(paths, basePath);
    // Operations are looked up by template and method: PUT and PATCH metadata share one operationId.
    this.#paths = paths;
    // OpenAPI 3.0 schemas carry keywords Ajv does not know (example, x-*); strict mode would refuse them.
    this.#ajv = new Ajv({ strict: false, allErrors: true });
    const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
    addFormats(this.#ajv);
    const components = doc["components"] as Json;
    for (const side of ["request", "response"] as const) {
      this.#ajv.addSchema({ $id: DOC_ID[side], components: relaxComponents(components, side, options) });
    }
  }

  findOperation(method: string, requestPath: string): { operationId: string; template: string } | undefined {
    const found = this.#routes.find(method, requestPath);
    return found === undefined ? undefined : { operationId: found.operationId, template: found.template };
  }

  #operation(ref: OperationRef): Operation {
    return this.#paths[ref.template]?.[ref.method.toLowerCase()] as Operation;
  }

  validateRequest(method: string, requestPath: string, body: unknown, query?: URLSearchParams): string[] {
    const ref = this.#routes.find(method, requestPath);
    if (ref === undefined) return [unknownOperation(method, requestPath, this.#routes.basePath)];
    const op = this.#operation(ref);
    const params = query ?? new URLSearchParams(requestPath.includes("?") ? requestPath.slice(requestPath.indexOf("?") + 1) : "");
    const label = `${ref.operationId} (${ref.method} ${ref.template})`;
    const problems = this.#checkQuery(ref, op, params, label);

    const content = op.requestBody?.content;
    const schema = content?.["application/json"]?.schema ?? Object.values(content ?? {})[0]?.schema;
    if (schema === undefined) {
      if (!isEmpty(body)) problems.push(`${label}: request body: this operation takes no body, got ${describe(body)}`);
      return problems;
    }
    if (isEmpty(body)) {
      if (op.requestBody?.required === true && !bodyMayBeOmitted(ref.operationId, params, this.#options)) {
        problems.push(`${label}: request body: required by the document, but none was sent`);
      }
      return problems;
    }
    const validate = this.#compile(`req ${ref.method} ${ref.template}`, "request", schema);
    if (!validate(body)) problems.push(...formatErrors(`${label}: request body`, validate.errors));
    return problems;
  }

  validateResponse(method: string, requestPath: string, status: number, body: unknown): string[] {
    const ref = this.#routes.find(method, requestPath);
    if (ref === undefined) return [unknownOperation(method, requestPath, this.#routes.basePath)];
    const op = this.#operation(ref);
    const label = `${ref.operationId} (${ref.method} ${ref.template}) response ${status}`;
    const responses = op.responses ?? {};
    const declared = responses[String(status)] ?? responses["default"];
    let schema: Json | undefined;
    if (declared !== undefined) {
      schema = declared.content?.["application/json"]?.schema;
      // A declared status with no content (e.g. Apps_create 201, Machines_stop 200) leaves the body open:
      // README "create app response": 201 with an app object, with {id, created_at}, or empty.
      if (schema === undefined) return [];
    } else if (status >= 400) {
      // The document declares few error statuses; Fly's errors share one shape (README "Errors").
      if (isEmpty(body)) return [];
      schema = { $ref: "#/components/schemas/ErrorResponse" };
    } else {
      const documented = Object.keys(responses).join(", ") || "none";
      return [`${label}: status ${status} is not documented for this operation (documented: ${documented})`];
    }
    if (isEmpty(body)) return [`${label}: body: the document declares a JSON body, but the response was empty`];
    const validate = this.#compile(`res ${ref.method} ${ref.template} ${declared === undefined ? "error" : status}`, "response", schema);
    return validate(body) ? [] : formatErrors(`${label} body`, validate.errors);
  }

  #checkQuery(ref: OperationRef, op: Operation, query: URLSearchParams, label: string): string[] {
    const declared: Record<string, Json> = {};
    const required: string[] = [];
    const multiValued = new Set<string>();
    for (const p of op.parameters ?? []) {
      if (p.in !== "query") continue;
      declared[p.name] = p.schema ?? {};
      if (p.required === true) required.push(p.name);
      if (MULTI_VALUED.test(p.description ?? "")) multiValued.add(p.name);
    }
    Object.assign(declared, extraQueryParameters(ref.operationId, this.#options));
    const problems: string[] = [];
    const values: Record<string, unknown> = {};
    for (const [name, raw] of query) {
      const schema = declared[name];
      if (schema === undefined) {
        const known = Object.keys(declared).join(", ") || "none";
        problems.push(`${label}: query parameter "${name}" is not in the document (known: ${known})`);
        continue;
      }
      if (multiValued.has(name)) {
        const previous = (values[name] as unknown[] | undefined) ?? [];
        values[name] = [...previous, ...raw.split(",").map((piece) => coerce(piece.trim(), schema))];
      } else {
        values[name] = coerce(raw, schema);
      }
    }
    const properties = Object.fromEntries(
      Object.entries(declared).map(([name, schema]) => [name, multiValued.has(name) ? { type: "array", items: schema } : schema]),
    );
    const schema = { type: "object", properties, required };
    const validate = this.#compile(`query ${ref.method} ${ref.template}`, "request", schema);
    if (!validate(values)) problems.push(...formatErrors(`${label}: query`, validate.errors));
    return problems;
  }

  #compile(key: string, side: Side, schema: Json): ValidateFunction {
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const compiled = this.#ajv.compile(rebase(schema, DOC_ID[side]));
    this.#cache.set(key, compiled);
    return compiled;
  }
}

/** Points the document's local refs ("#/components/...") at the side's registered copy of the components. */
function rebase(schema: unknown, docId: string): Json {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== "object") return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `${docId}${v}` : walk(v);
    }
    return out;
  };
  return walk(schema) as Json;
}

/** Query values arrive as strings; read them as the parameter's declared type so Ajv can check them. */
function coerce(raw: string, schema: Json): unknown {
  const type = schema["type"];
  if (type === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
  if ((type === "integer" || type === "number") && raw.trim() !== "" && !Number.isNaN(Number(raw))) return Number(raw);
  return raw;
}

function isEmpty(body: unknown): boolean {
  return body === undefined || body === null || body === "";
}

/** What kind of body arrived, never its content: a body may carry secret values, and messages reach logs. */
function describe(body: unknown): string {
  if (Array.isArray(body)) return "an array";
  if (typeof body === "object" && body !== null) {
    const keys = Object.keys(body);
    return keys.length === 0 ? "an empty object" : `an object with ${keys.length} field(s)`;
  }
  return `a ${typeof body}`;
}

function unknownOperation(method: string, requestPath: string, basePath: string): string {
  return `${method.toUpperCase()} ${requestPath.split("?")[0] ?? ""}: no operation in Fly's OpenAPI document matches (paths are below ${basePath})`;
}

function formatErrors(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const field = e.instancePath === "" ? "(root)" : e.instancePath.slice(1).replace(/\//g, ".");
    const params = e.params as Record<string, unknown>;
    const extra =
      typeof params["additionalProperty"] === "string"
          ? ` "${params["additionalProperty"]}"`
          : Array.isArray(params["allowedValues"])
            ? ` (${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")})`
            : "";
    return `${where}: ${field} ${e.message ?? e.keyword}${extra}`;
  });
}
