// Maps a concrete request path ("/v1/apps/x/machines/abc") to the OpenAPI path template that serves it.

export interface OperationRef {
  operationId: string;
  /** The document's path template, e.g. "/apps/{app_name}/machines/{machine_id}". */
  template: string;
  method: string;
}

interface Route extends OperationRef {
  segments: string[];
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

export class RouteTable {
  readonly #routes: Route[] = [];

  /** `basePath` is the path part of the document's server URL ("/v1"); requests must carry it. */
  constructor(
    paths: Record<string, Record<string, unknown>>,
    readonly basePath: string,
  ) {
    for (const [template, item] of Object.entries(paths)) {
      for (const method of METHODS) {
        const op = item[method] as { operationId?: unknown } | undefined;
        if (op === undefined || typeof op.operationId !== "string") continue;
        this.#routes.push({ operationId: op.operationId, template, method: method.toUpperCase(), segments: split(template) });
      }
    }
  }

  /**
   * The operation for a method and path, or undefined. Literal segments beat parameters, so
   * ".../machines/{id}/lease" never matches ".../machines/{id}/{something}" by accident.
   */
  find(method: string, rawPath: string): OperationRef | undefined {
    const pathOnly = rawPath.split("?")[0] ?? "";
    if (pathOnly !== this.basePath && !pathOnly.startsWith(this.basePath + "/")) return undefined;
    const segments = split(pathOnly.slice(this.basePath.length)).map(safeDecode);
    const wanted = method.toUpperCase();
    let best: Route | undefined;
    let bestScore = -1;
    for (const route of this.#routes) {
      if (route.method !== wanted || route.segments.length !== segments.length) continue;
      let score = 0;
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const pattern = route.segments[i] ?? "";
        if (isParam(pattern)) {
          if (segments[i] === "") ok = false;
        } else if (pattern === segments[i]) {
          score++;
        } else {
          ok = false;
        }
        if (!ok) break;
      }
      if (ok && score > bestScore) {
        best = route;
        bestScore = score;
      }
    }
    return best === undefined ? undefined : { operationId: best.operationId, template: best.template, method: best.method };
  }
}

function split(path: string): string[] {
  return path.split("/").filter((s, i) => i > 0 || s !== "");
}

function isParam(segment: string): boolean {
  return segment.startsWith("{") && segment.endsWith("}");
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
