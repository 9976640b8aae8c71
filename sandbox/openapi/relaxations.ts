// Where Fly's OpenAPI document and Fly's real behaviour disagree (../shared/fly/README.md, "Known
// disagreements"), the validator accepts both forms. Each relaxation below names the README row it follows.
// Request-side relaxations can be switched off (`clientForms`) to check that a client sends the document's form.

type Json = Record<string, unknown>;

export type Side = "request" | "response";

export interface RelaxationOptions {
  /** When true, requests must use the form the document names (the README: "send the form the document names on the client side"). */
  clientForms: boolean;
  /** When true, an object may carry only the properties the document declares for it (OpenAPI's default allows any). */
  rejectUnknownFields: boolean;
}

function schema(components: Json, name: string): Json {
  const schemas = components["schemas"] as Record<string, Json>;
  const found = schemas[name];
  if (found === undefined) throw new Error(`Fly OpenAPI document has no components.schemas["${name}"]; the relaxations in sandbox/openapi/relaxations.ts expect it (is the document a different version?)`);
  return found;
}

function property(components: Json, name: string, prop: string): Json {
  const properties = schema(components, name)["properties"] as Record<string, Json> | undefined;
  const found = properties?.[prop];
  if (found === undefined) throw new Error(`Fly OpenAPI document: components.schemas["${name}"] has no property "${prop}"; see sandbox/openapi/relaxations.ts`);
  return found;
}

/** Patches a deep copy of `components` for one side; the document itself is never changed. */
export function relaxComponents(original: Json, side: Side, options: RelaxationOptions): Json {
  const components = structuredClone(original);
  const serverSide = side === "response" || !options.clientForms;
  fixObjectWrappedRefs(components);
  if (options.rejectUnknownFields) closeObjects(components);

  // README "App secrets": `{"values": {"KEY": "v" | null}}`, null unsets. The document types values as strings only.
  // Null is the documented way to unset, so it is accepted even in client mode.
  const values = property(components, "AppSecretsUpdateRequest", "values");
  values["additionalProperties"] = { type: ["string", "null"] };

  // README "service autostop": responses say false/true for off/stop (and "suspend"); the document's own
  // description says the API also accepts booleans from older clients. Clients must send the strings.
  if (serverSide) {
    const autostop = property(components, "fly.MachineService", "autostop");
    const stringForm = { ...autostop };
    for (const key of Object.keys(autostop)) delete autostop[key];
    autostop["anyOf"] = [stringForm, { type: "boolean" }];
  }

  // README "volume names": lowercase letters, digits and underscores, at most 30 characters. The document only
  // says "string"; Fly refuses anything else, so requests are held to the real rule (a tightening, not a relaxation).
  if (side === "request") {
    const name = property(components, "CreateVolumeRequest", "name");
    name["pattern"] = "^[a-z0-9_]{1,30}$";
  }

  // README "lease TTL": lease responses may be wrapped as {"status": "success", "data": {...lease}}.
  if (side === "response") {
    const schemas = components["schemas"] as Record<string, Json>;
    const lease = schema(components, "Lease");
    schemas["Lease"] = {
      anyOf: [
        lease,
        { type: "object", required: ["status", "data"], properties: { status: { const: "success" }, data: lease } },
      ],
    };
  }
  return components;
}

/**
 * The document came from Swagger 2 and wraps some $refs as `{"type": "object", "allOf": [{"$ref": ...}]}` even when
 * the referenced schema is a string enum (e.g. fly.HTTPHealthcheck.scheme): no value could ever be valid. Where the
 * wrapped schema is not an object, the wrapper's `type` is dropped so the referenced schema decides.
 */
function fixObjectWrappedRefs(components: Json): void {
  const schemas = components["schemas"] as Record<string, Json>;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== "object") return;
    const obj = node as Json;
    const allOf = obj["allOf"];
    if (obj["type"] === "object" && obj["properties"] === undefined && Array.isArray(allOf) && allOf.length === 1) {
      const ref = (allOf[0] as Json)["$ref"];
      const target = typeof ref === "string" ? schemas[ref.replace("#/components/schemas/", "")] : undefined;
      if (target !== undefined && target["type"] !== undefined && target["type"] !== "object") delete obj["type"];
    }
    Object.values(obj).forEach(walk);
  };
  walk(schemas);
}

/** `rejectUnknownFields`: every object that declares properties, and says nothing of others, accepts no others. */
function closeObjects(components: Json): void {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== "object") return;
    const obj = node as Json;
    if (obj["properties"] !== undefined && typeof obj["properties"] === "object" && obj["additionalProperties"] === undefined) {
      obj["additionalProperties"] = false;
    }
    Object.values(obj).forEach(walk);
  };
  walk(components["schemas"]);
}

/** Query parameters Fly accepts that the document does not declare, per operation. */
export function extraQueryParameters(operationId: string, options: RelaxationOptions): Record<string, Json> {
  // fly-go's CreateApp posts to `/apps?wait=true` (flaps/flaps_apps.go) so that Fly answers once the app exists;
  // the document declares no query for it. Clients follow fly-go here, so client mode accepts it too.
  if (operationId === "Apps_create") return { wait: { type: "boolean" } };
  if (options.clientForms) return {};
  switch (operationId) {
    // README "delete machine": `?force=true` (docs) and `?kill=true` (Fly's Go client).
    case "Machines_delete":
      return { kill: { type: "boolean" } };
    // README "lease TTL": `{"ttl": N}` body or `?ttl=N` query.
    case "Machines_create_lease":
      return { ttl: { type: "integer" } };
    default:
      return {};
  }
}

/** Whether a declared-required request body may be left out for this request. */
export function bodyMayBeOmitted(operationId: string, query: URLSearchParams, options: RelaxationOptions): boolean {
  // README "lease TTL": with `?ttl=N` the lease create body carries nothing and may be absent.
  return !options.clientForms && operationId === "Machines_create_lease" && query.has("ttl");
}
