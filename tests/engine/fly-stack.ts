// Shared set-up for the engine tests that deploy the real program against the local Fly API:
// a Fly API in this process, a throwaway project with the real program, fake stack config, and
// helpers to read the API's request log and to check that no secret value leaked anywhere.
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { startFlyApi, type LocalFlyApi, type RequestLogEntry } from "../../sandbox/flyapi";
import { FlyClient } from "../../components/fly/client";
import { createEngineProject, type CliOptions, type EngineProject } from "./harness";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";

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

export interface FlyStack {
  api: LocalFlyApi;
  project: EngineProject;
  prefix: string;
  relayApp: string;
  vmApp: string;
  /** A client straight to the local API, for changes "behind Pulumi's back". */
  fly: FlyClient;
  /** Everything the CLI printed so far (scanned for secrets at the end). */
  transcript: string[];
  /** The local API's own log lines. */
  apiLog: string[];
  /** Runs `pulumi <args>` and records its output; never throws on exit code. */
  cli(args: string[], options?: CliOptions): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `pulumi up --yes --skip-preview`, failing the test with the engine's output when it fails. */
  up(): Promise<string>;
  setConfig(key: string, value: string, secret?: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface FlyStackOptions {
  stackName: string;
  /** Extra textslash:* settings (without the namespace). */
  config?: Record<string, string>;
  /** Extra environment for the CLI and the provider process. */
  env?: Record<string, string>;
}

/** The CLI's environment for a stack on the local Fly API at `apiUrl`. */
export function stackEnv(apiUrl: string): Record<string, string> {
  // The state-only local Fly API runs no process, so nothing could answer the deployment check from outside.
  return { FLY_API_URL: apiUrl, FLY_API_TOKEN: flyToken, TEXTSLASH_DEPLOYMENT_CHECK: "skip" };
}

/** A whole stack config with fake values; `extra` holds textslash:* settings without the namespace. */
export function stackConfig(prefix: string, extra: Record<string, string> = {}): ConfigMap {
  return {
    "textslash:prefix": { value: prefix },
    "textslash:twilioAccountSid": { value: fakeAccountSid },
    "textslash:twilioAuthToken": { value: fakeSecrets.twilioAuthToken, secret: true },
    "textslash:twilioWhatsappNumber": { value: "+14155238886" },
    "textslash:allowedPhoneNumbers": { value: "+15550000001" },
    "textslash:anthropicApiKey": { value: fakeSecrets.anthropicApiKey, secret: true },
    "textslash:githubToken": { value: fakeSecrets.githubToken, secret: true },
    "textslash:relayImage": { value: "registry.example/textslash-relay:v1" },
    "textslash:vmImage": { value: "registry.example/textslash-vm:v1" },
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`textslash:${k}`, { value: v }])),
  };
}

export async function startFlyStack(options: FlyStackOptions): Promise<FlyStack> {
  const apiLog: string[] = [];
  const api = await startFlyApi({ port: 0, token: flyToken, log: (line: string) => apiLog.push(line) });
  const project = await createEngineProject({
    copyFromRepo: programFiles,
    stackName: options.stackName,
    env: { ...stackEnv(api.url), ...options.env },
  });
  const prefix = options.stackName.toLowerCase();
  await project.stack.setAllConfig(stackConfig(prefix, options.config));
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
    transcript,
    apiLog,
    cli,
    async up() {
      const result = await cli(["up", "--yes", "--skip-preview"]);
      if (result.code !== 0) throw new Error(`pulumi up failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
      return result.stdout;
    },
    async setConfig(key, value, secret = false) {
      await project.stack.setConfig(`textslash:${key}`, { value, secret });
    },
    async close() {
      await api.close();
      await project.cleanup();
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
