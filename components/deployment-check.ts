// `pulumi up` ends only when the deployment answers from outside: after the machines passed their checks,
// this resource polls the public endpoints (deployment-check-poll.ts) and fails naming what did not answer.
// It runs on create and whenever `revision` changes (a new machine config, secrets version, machine or
// volume), so an up that changed nothing polls nothing and stays a no-op. Refresh and delete never poll.
//
// Where "public" is: https://<app>.fly.dev on Fly; in the sandbox FLY_PROXY_URL (set where `pulumi up` runs)
// names the Fly-Proxy stand-in, whose public route /_public/<app> is that same address. Where nothing can
// answer at all (the state-only local Fly API of the engine tests), TEXTSLASH_DEPLOYMENT_CHECK=skip says so.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { checkWith } from "./fly/check";
import { jsonEqual } from "./fly/diff";
import { lazyProvider } from "./fly/lazy-provider";
import { DEFAULT_POLL, waitUntilAnswering, type Endpoint, type HttpAnswer } from "./deployment-check-poll";

export const PROVIDER_VERSION = 1;
const endpointSchema = z.object({ name: z.string().min(1), url: z.url(), hint: z.string() });
const inputsSchema = z.object({ endpoints: z.array(endpointSchema).min(1), revision: z.string(), providerVersion: z.number() });
type CheckInputs = z.infer<typeof inputsSchema>;

/** `https://<app>.fly.dev/<path>` as the sandbox proxy serves it: `<proxy>/_public/<app>/<path>`; other URLs unchanged. */
export function viaSandboxProxy(url: string, proxyUrl: string | undefined): string {
  if (proxyUrl === undefined || proxyUrl === "") return url;
  const parsed = new URL(url);
  const app = /^([a-z0-9-]+)\.fly\.dev$/.exec(parsed.hostname)?.[1];
  if (parsed.protocol !== "https:" || app === undefined) return url;
  return `${proxyUrl.replace(/\/+$/, "")}/_public/${app}${parsed.pathname}${parsed.search}`;
}

/** The check's settings from the environment where `pulumi up` runs; a bad value is an error naming the variable. */
export function checkSettings(env: Record<string, string | undefined> = process.env): { skip: boolean; timeoutMs: number; proxyUrl?: string } {
  const mode = env.TEXTSLASH_DEPLOYMENT_CHECK ?? "";
  if (mode !== "" && mode !== "skip") throw new Error(`TEXTSLASH_DEPLOYMENT_CHECK must be unset or "skip" (got "${mode}")`);
  const raw = env.TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS ?? "";
  const seconds = raw === "" ? DEFAULT_POLL.timeoutMs / 1000 : Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new Error(`TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 3600 (got "${raw}")`);
  }
  return { skip: mode === "skip", timeoutMs: seconds * 1000, ...(env.FLY_PROXY_URL ? { proxyUrl: env.FLY_PROXY_URL } : {}) };
}

async function get(url: string, timeoutMs: number): Promise<HttpAnswer> {
  const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs), headers: { "user-agent": "textslash-deployment-check" } });
  return { status: res.status, location: res.headers.get("location"), body: await res.text() };
}

async function run(inputs: CheckInputs): Promise<void> {
  const settings = checkSettings();
  if (settings.skip) return;
  const endpoints: Endpoint[] = inputs.endpoints.map((e) => ({ ...e, url: viaSandboxProxy(e.url, settings.proxyUrl) }));
  await waitUntilAnswering(endpoints, { get, now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }, { ...DEFAULT_POLL, timeoutMs: settings.timeoutMs });
}

export const deploymentCheckProvider: pulumi.dynamic.ResourceProvider<CheckInputs> = {
  check: async (_olds, news) => checkWith(inputsSchema, news),
  diff: async (_id, olds, news) => ({
    changes: olds.revision !== news.revision || !jsonEqual(olds.endpoints, news.endpoints) || olds.providerVersion !== news.providerVersion,
    replaces: [],
  }),
  create: async (inputs) => {
    await run(inputs);
    return { id: "deployment-check", outs: inputs };
  },
  update: async (_id, _olds, news) => {
    await run(news);
    return { outs: news };
  },
  read: async (id, props) => ({ id, props }),
  delete: async () => undefined,
};

/** The only provider object Pulumi serializes (see fly/lazy-provider.ts). */
const serializedProvider = lazyProvider("components/deployment-check.ts", __filename, "deploymentCheckProvider");

export interface DeploymentCheckArgs {
  endpoints: Endpoint[];
  /** Changes whenever what is deployed changes; the check runs again then. */
  revision: pulumi.Input<string>;
}

export class DeploymentCheck extends pulumi.dynamic.Resource {
  constructor(name: string, args: DeploymentCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(serializedProvider, name, { ...args, providerVersion: PROVIDER_VERSION }, opts, "textslash", "DeploymentCheck");
  }
}
