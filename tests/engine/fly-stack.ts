// Shared set-up for the engine tests that deploy the real program against the local Fly API:
// a Fly API in this process, a throwaway project with the real program, fake stack config, and
// helpers to read the API's request log and to check that no secret value leaked anywhere.
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { startFlyApi, type LocalFlyApi, type RequestLogEntry } from "../../sandbox/flyapi";
import { FlyClient } from "../../components/fly/client";
import { createEngineProject, type CliOptions, type EngineProject } from "./harness";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";
import { startTestRegistry, type Published, type TestRegistry } from "./test-registry";
import { sharedRegistryUrl } from "../support/shared-registry";

export const flyToken = "fake-fly-token";

/** A well-formed, obviously fake Twilio Account SID (AC + 32 hex digits), as config.ts requires. */
export const fakeAccountSid = FAKE_ACCOUNT_SID;

/** Every secret the tests give the program; none may appear in state, output or logs. */
export const fakeSecrets = {
  twilioAuthToken: "fake-twilio-auth-token",
  anthropicApiKey: "fake-anthropic-key",
  githubToken: "fake-github-token",
} as const;

/** The program's files, as a user's checkout has them. */
export const programFiles = ["Pulumi.yaml", "index.ts", "config.ts", "components", "tsconfig.json", "package.json"];
/** What `up` builds by default: the services' build contexts. */
export const serviceFiles = ["services/relay", "services/vm"];

export interface FlyStack {
  api: LocalFlyApi;
  project: EngineProject;
  prefix: string;
  relayApp: string;
  vmApp: string;
  /** A client straight to the local API, for changes "behind Pulumi's back". */
  fly: FlyClient;
  /** The stack's image registry (textslash:imageRegistry). */
  registry: TestRegistry;
  /** The published images the stack runs (unless it builds services/): textslash-relay:v1, textslash-vm:v1. */
  published: { relay: Published; vm: Published };
  /** The image settings this stack was configured with (for a second stack beside it). */
  images: StackImages;
  /** Publishes a new image for the relay or the VM; set its `ref` as textslash:relayImage / vmImage. */
  publish(service: "relay" | "vm", tag: string): Promise<Published>;
  /** Everything the CLI printed so far (scanned for secrets at the end). */
  transcript: string[];
  /** The local API's own log lines. */
  apiLog: string[];
  /** Runs `pulumi <args>` and records its output; never throws on exit code. */
  cli(args: string[], options?: CliOptions): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `pulumi up --yes --skip-preview`, failing the test with the engine's output when it fails. */
  up(options?: CliOptions): Promise<string>;
  setConfig(key: string, value: string, secret?: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface FlyStackOptions {
  stackName: string;
  /** Extra textslash:* settings (without the namespace). */
  config?: Record<string, string>;
  /** Extra environment for the CLI and the provider process. */
  env?: Record<string, string>;
  /**
   * Build services/relay and services/vm from the checkout (the default of a real stack) instead
   * of running published test images. Slow: real image builds.
   */
  buildImages?: boolean;
}

/** The CLI's environment for a stack on the local Fly API at `apiUrl`. */
export function stackEnv(apiUrl: string): Record<string, string> {
  // The state-only local Fly API runs no process, so nothing could answer the deployment check from outside.
  return { FLY_API_URL: apiUrl, FLY_API_TOKEN: flyToken, TEXTSLASH_DEPLOYMENT_CHECK: "skip" };
}

/** Where a stack's images come from: a registry, and the published refs it runs unless it builds services/. */
export interface StackImages {
  registry: string;
  relay?: string;
  vm?: string;
}

/** A whole stack config with fake values; `extra` holds textslash:* settings without the namespace. */
export function stackConfig(prefix: string, images: StackImages, extra: Record<string, string> = {}): ConfigMap {
  return {
    "textslash:prefix": { value: prefix },
    "textslash:twilioAccountSid": { value: fakeAccountSid },
    "textslash:twilioAuthToken": { value: fakeSecrets.twilioAuthToken, secret: true },
    "textslash:twilioWhatsappNumber": { value: "+14155238886" },
    "textslash:allowedPhoneNumbers": { value: "+15550000001" },
    "textslash:anthropicApiKey": { value: fakeSecrets.anthropicApiKey, secret: true },
    "textslash:githubToken": { value: fakeSecrets.githubToken, secret: true },
    "textslash:imageRegistry": { value: images.registry },
    ...(images.relay && images.vm
      ? { "textslash:relayImage": { value: images.relay }, "textslash:vmImage": { value: images.vm } }
      : // Offline builds take Debian's chromium (Playwright's download is out of reach here).
        { "textslash:vmBrowser": { value: "debian" } }),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`textslash:${k}`, { value: v }])),
  };
}

export async function startFlyStack(options: FlyStackOptions): Promise<FlyStack> {
  const apiLog: string[] = [];
  const api = await startFlyApi({ port: 0, token: flyToken, log: (line: string) => apiLog.push(line) });
  // A stack that builds services/ pushes them to the run's registry: its layers are there already
  // when another test pushed the same images (each stack's apps have names of their own).
  const registry = await startTestRegistry(options.buildImages ? sharedRegistryUrl() : undefined);
  const publish = async (service: "relay" | "vm", tag: string) => registry.publish(`textslash-${service}`, tag);
  const published = options.buildImages ? { relay: undefined, vm: undefined } : { relay: await publish("relay", "v1"), vm: await publish("vm", "v1") };
  const images: StackImages = { registry: registry.address, relay: published.relay?.ref, vm: published.vm?.ref };
  const project = await createEngineProject({
    copyFromRepo: options.buildImages ? [...programFiles, ...serviceFiles] : programFiles,
    stackName: options.stackName,
    env: { ...stackEnv(api.url), ...options.env },
  });
  const prefix = options.stackName.toLowerCase();
  await project.stack.setAllConfig(stackConfig(prefix, images, options.config));
  const transcript: string[] = [];
  const cli = async (args: string[], cliOptions?: CliOptions) => {
    const result = await project.cli(args, cliOptions);
    transcript.push(`$ pulumi ${args.join(" ")}\n${result.stdout}\n${result.stderr}`);
    return result;
  };
  return {
    api,
    project,
    prefix,
    relayApp: `${prefix}-relay`,
    vmApp: `${prefix}-vm`,
    fly: new FlyClient({ config: { apiUrl: api.url, apiToken: flyToken } }),
    registry,
    published: published as { relay: Published; vm: Published },
    images,
    publish,
    transcript,
    apiLog,
    cli,
    async up(upOptions) {
      const result = await cli(["up", "--yes", "--skip-preview"], upOptions);
      if (result.code !== 0) throw new Error(`pulumi up failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
      return result.stdout;
    },
    async setConfig(key, value, secret = false) {
      await project.stack.setConfig(`textslash:${key}`, { value, secret });
    },
    async close() {
      await api.close();
      await project.cleanup();
      await registry.stop();
    },
  };
}

/** A logged path without its query (the log keeps non-secret query parameters), decoded. */
export const pathOnly = (e: RequestLogEntry): string => decodeURIComponent(e.path.split("?")[0]!);

/** Non-GET requests served, as "METHOD path" (the shape the assertions read best in). */
export function writes(entries: RequestLogEntry[]): string[] {
  return entries.filter((e) => e.method !== "GET").map((e) => `${e.method} ${pathOnly(e)}`);
}

/** Every secret value the stack was given, plus the Fly token. */
export function secretValues(): string[] {
  return [...Object.values(fakeSecrets), flyToken];
}

/** The secret values (the stack's, the Fly token, and any `extra`) found in a text (expected: none). */
export function leakedSecrets(text: string, extra: string[] = []): string[] {
  return [...secretValues(), ...extra].filter((s) => text.includes(s));
}

/** The ids of the resources in the stack's checkpoint (stack outputs are not re-evaluated by refresh). */
export async function resourceIds(s: FlyStack): Promise<string[]> {
  const checkpoint = JSON.parse(await s.project.readStateFile()) as { checkpoint: { latest: { resources: { id?: string }[] } } };
  return checkpoint.checkpoint.latest.resources.flatMap((r) => (r.id ? [r.id] : []));
}

/** What the stack's two apps left on the local Fly API (after a destroy: every list empty). */
export function leftOnFly(s: FlyStack): Record<"apps" | "machines" | "volumes" | "ips" | "secrets", unknown[]> {
  const st = s.api.state();
  const ours = (app: string) => app === s.relayApp || app === s.vmApp;
  return {
    apps: st.apps.filter(ours),
    machines: st.machines.filter((m) => ours(m.app) && m.state !== "destroyed"),
    volumes: st.volumes.filter((v) => ours(v.app)),
    ips: st.ips.filter((ip) => ours(ip.app)),
    secrets: Object.keys(st.secrets).filter(ours),
  };
}
