// A tiny path router: "/v1/apps/:app/machines/:id" style patterns, literal segments preferred.
import type { SandboxCore } from "./core";

export interface HandlerContext {
  core: SandboxCore;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  leaseNonce: string | undefined;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
}

export type Handler = (ctx: HandlerContext) => HandlerResult | Promise<HandlerResult>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export class Router {
  readonly #routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.#routes.push({ method, segments: pattern.split("/").filter(Boolean), handler });
    return this;
  }

  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | undefined {
    const parts = pathname.split("/").filter(Boolean).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
    let best: { handler: Handler; params: Record<string, string>; score: number } | undefined;
    for (const route of this.#routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let score = 0;
      let ok = true;
      route.segments.forEach((seg, i) => {
        const part = parts[i] ?? "";
        if (seg.startsWith(":")) params[seg.slice(1)] = part;
        else if (seg === part) score++;
        else ok = false;
      });
      if (ok && (best === undefined || score > best.score)) best = { handler: route.handler, params, score };
    }
    return best === undefined ? undefined : { handler: best.handler, params: best.params };
  }
}
