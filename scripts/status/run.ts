// Wires `npm run status` to its sources: the stack outputs from `pulumi stack output --json`, the Fly
// API (token and URL as the providers read them) and the relay's public /health; then prints.
import { FlyClient } from "../../components/fly/client";
import { collectStatus } from "./collect";
import { stackOutputsSchema, type DeploymentStatus, type StackOutputs } from "./model";
import { renderStatus } from "./render";

export interface StatusEnvironment {
  /** Runs the pulumi CLI with these arguments and resolves its stdout. */
  pulumi: (args: string[]) => Promise<string>;
  /** The Fly client to read with (GET only). */
  fly: FlyClient;
  /** Where the relay's /health is reachable from here (its public URL on Fly; the proxy in the sandbox). */
  relayHealthUrl: (outputs: StackOutputs) => string;
  logsCommand: (app: string, machineId: string) => string;
  /** `--stack NAME`, passed to every pulumi command. */
  stack?: string;
}

export function parseOutputs(json: string): StackOutputs {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error("`pulumi stack output --json` did not print JSON; is a stack selected (`pulumi stack select`)?");
  }
  const parsed = stackOutputsSchema.safeParse(raw);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((i) => i.path.join(".")).join(", ");
    throw new Error(`the stack has no deployment to show (missing outputs: ${missing}); run \`pulumi up\` first`);
  }
  return parsed.data;
}

export async function fetchJson(url: string, timeoutMs = 10_000): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}${text ? `: ${text.slice(0, 120)}` : ""}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`GET ${url} answered ${res.status} with something other than JSON`);
  }
}

export async function gatherStatus(env: StatusEnvironment): Promise<DeploymentStatus> {
  const stackArgs = env.stack ? ["--stack", env.stack] : [];
  const outputs = parseOutputs(await env.pulumi(["stack", "output", "--json", ...stackArgs]));
  return collectStatus({
    outputs,
    fly: env.fly,
    relayHealth: () => fetchJson(env.relayHealthUrl(outputs)),
    logsCommand: env.logsCommand,
  });
}

/** Prints the status (text, or JSON with `json`) and returns the exit code: 0 all well, 2 something needs attention. */
export function report(status: DeploymentStatus, json: boolean, write: (text: string) => void = (t) => process.stdout.write(t)): number {
  write(json ? `${JSON.stringify(status, null, 2)}\n` : `${renderStatus(status, new Date())}\n`);
  return status.problems.length === 0 ? 0 : 2;
}
