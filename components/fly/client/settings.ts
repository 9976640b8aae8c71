// Resolves where the client talks to and with which token: explicit options, then values the caller
// read from stack config, then the environment. Pure; no I/O.

export const DEFAULT_FLY_API_URL = "https://api.machines.dev";

export interface FlyConnectionSources {
  /** Explicit values win over everything. */
  baseUrl?: string | undefined;
  token?: string | undefined;
  /** Values the caller read from stack config (`textslash:flyApiUrl`, `textslash:flyApiToken`). */
  config?: { apiUrl?: string | undefined; apiToken?: string | undefined } | undefined;
  /** Defaults to `process.env`; tests pass their own. */
  env?: Record<string, string | undefined> | undefined;
}

export interface FlyConnection {
  /** Origin plus `/v1`, without a trailing slash. */
  apiRoot: string;
  token: string;
}

function firstNonEmpty(...values: (string | undefined)[]): string | undefined {
  return values.find((v) => v !== undefined && v.trim() !== "")?.trim();
}

/** The Machines API lives under `/v1`; accept a base URL given with or without it. */
export function apiRootFromBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`Fly API URL ${JSON.stringify(baseUrl)} is not a valid URL: set it like "https://api.machines.dev"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`Fly API URL must use http or https (got ${url.protocol})`);
  }
  const path = url.pathname.replace(/\/+$/, "");
  const withVersion = path.endsWith("/v1") ? path : `${path}/v1`;
  return `${url.origin}${withVersion}`;
}

export function resolveFlyConnection(sources: FlyConnectionSources): FlyConnection {
  const env = sources.env ?? process.env;
  const baseUrl = firstNonEmpty(sources.baseUrl, sources.config?.apiUrl, env["FLY_API_URL"]) ?? DEFAULT_FLY_API_URL;
  const token = firstNonEmpty(sources.token, sources.config?.apiToken, env["FLY_API_TOKEN"]);
  if (token === undefined) {
    throw new Error(
      "No Fly API token: set the stack secret `textslash:flyApiToken` " +
        "(pulumi config set --secret textslash:flyApiToken ...) or export FLY_API_TOKEN (create one with `fly tokens create org`); the local sandbox (npm run sandbox:up) needs neither.",
    );
  }
  return { apiRoot: apiRootFromBaseUrl(baseUrl), token };
}
