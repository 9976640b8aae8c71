// @ts-check
// What the deployment check reads from its environment: the endpoints the stack passes it
// (TEXTSLASH_CHECK_ENDPOINTS, set by textslash-stack.ts as the command's `environment`) and the
// settings of the place where `pulumi up` runs (the command inherits its environment:
// pulumi-command provider/pkg/provider/local/commandOutputs.go appends `environment` to os.Environ()).
// A namespace import of zod/v4 (the same zod 4 API as "zod"), so that bundling keeps only what is
// used here (components/bundles.cjs); `import { z } from "zod"` keeps all of zod and its 64 locales.
import * as z from "zod/v4";
import { DEFAULT_POLL } from "./poll.mjs";

/** @typedef {import("./poll.mjs").Endpoint} Endpoint */

const endpointsSchema = z.array(z.object({ name: z.string().min(1), url: z.url(), hint: z.string() })).min(1);

const settingsSchema = z.object({
  TEXTSLASH_DEPLOYMENT_CHECK: z.enum(["", "skip"], { error: (issue) => `TEXTSLASH_DEPLOYMENT_CHECK must be unset or "skip" (got "${String(issue.input)}")` }).default(""),
  TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS: z
    .string()
    .default("")
    .refine((raw) => raw === "" || (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 3600), {
      error: (issue) => `TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 3600 (got "${String(issue.input)}")`,
    })
    .transform((raw) => (raw === "" ? DEFAULT_POLL.timeoutMs / 1000 : Number(raw))),
  FLY_PROXY_URL: z.string().optional(),
});

/**
 * The check's settings from the environment where `pulumi up` runs; a bad value is an error naming the variable.
 * @param {Record<string, string | undefined>} env
 * @returns {{ skip: boolean, timeoutMs: number, proxyUrl?: string }}
 */
export function checkSettings(env) {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join("; "));
  const s = parsed.data;
  return { skip: s.TEXTSLASH_DEPLOYMENT_CHECK === "skip", timeoutMs: s.TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS * 1000, ...(s.FLY_PROXY_URL ? { proxyUrl: s.FLY_PROXY_URL } : {}) };
}

/**
 * The endpoints to poll, as the stack wrote them (JSON in TEXTSLASH_CHECK_ENDPOINTS).
 * @param {string | undefined} json
 * @returns {Endpoint[]}
 */
export function parseEndpoints(json) {
  let value;
  try {
    value = JSON.parse(json ?? "");
  } catch {
    throw new Error("TEXTSLASH_CHECK_ENDPOINTS must hold the endpoints as JSON (the stack sets it; run the check through `pulumi up`)");
  }
  const parsed = endpointsSchema.safeParse(value);
  if (!parsed.success) throw new Error(`TEXTSLASH_CHECK_ENDPOINTS is not a list of {name, url, hint}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * `https://<app>.fly.dev/<path>` as the sandbox proxy serves it: `<proxy>/_public/<app>/<path>`; other URLs unchanged.
 * @param {string} url
 * @param {string | undefined} proxyUrl
 */
export function viaSandboxProxy(url, proxyUrl) {
  if (proxyUrl === undefined || proxyUrl === "") return url;
  const parsed = new URL(url);
  const app = /^([a-z0-9-]+)\.fly\.dev$/.exec(parsed.hostname)?.[1];
  if (parsed.protocol !== "https:" || app === undefined) return url;
  return `${proxyUrl.replace(/\/+$/, "")}/_public/${app}${parsed.pathname}${parsed.search}`;
}
