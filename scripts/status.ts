// npm run status [-- --stack NAME] [-- --json] [-- --sandbox]
// Shows the deployment as a user wants to see it: each machine's state, image digest and checks,
// the relay's outbox and last message, the VM's queue (without waking it), volume use, and the
// command for each app's logs. Read-only. Exit code 0 when all is well, 2 when something needs
// attention, 1 when the status could not be read.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { FlyClient } from "../components/fly/client";
import { pulumiRunner, SANDBOX_STACK } from "../sandbox/daemon/pulumi";
import { readDaemonInfo, repoRoot, sandboxPaths } from "../sandbox/daemon/state";
import { gatherStatus, report, type StatusEnvironment } from "./status/run";

const run = promisify(execFile);

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith("--")) throw new Error(`${name} needs a value, e.g. ${name} prod`);
  return value;
}

/** The user's own stack, through scripts/pulumi and the Fly token the providers use. */
async function flyEnvironment(stack: string | undefined): Promise<StatusEnvironment> {
  const pulumi = async (args: string[]): Promise<string> => {
    try {
      return (await run("bash", [path.join(repoRoot, "scripts", "pulumi"), ...args], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (err) {
      throw new Error(`pulumi ${args.slice(0, 2).join(" ")} failed: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`);
    }
  };
  const stackArgs = stack ? ["--stack", stack] : [];
  // Unset keys exit non-zero: treat as absent. The token stays in this process (never printed).
  const config = (key: string): Promise<string | undefined> => pulumi(["config", "get", key, ...stackArgs]).then((v) => v.trim() || undefined, () => undefined);
  const [apiUrl, apiToken] = await Promise.all([config("textslash:flyApiUrl"), process.env.FLY_API_TOKEN ? undefined : config("textslash:flyApiToken")]);
  return {
    pulumi,
    fly: new FlyClient({ config: { apiUrl, apiToken } }),
    relayHealthUrl: (o) => `${o.relayUrl}/health`,
    logsCommand: (app) => `fly logs -a ${app}`,
    ...(stack ? { stack } : {}),
  };
}

/** The local sandbox (npm run sandbox:up): its API, its proxy for the relay's public URL, its log files. */
async function sandboxEnvironment(): Promise<StatusEnvironment> {
  const paths = sandboxPaths();
  const daemon = readDaemonInfo(paths);
  if (!daemon) throw new Error("the sandbox is not running; start it with npm run sandbox:up");
  const runner = await pulumiRunner(paths, daemon);
  return {
    pulumi: (args) => runner.capture(args),
    fly: new FlyClient({ baseUrl: daemon.apiUrl, token: daemon.token }),
    relayHealthUrl: (o) => `${daemon.proxyUrl}/_public/${o.relayApp}/health`,
    logsCommand: (app, id) => `tail -f ${path.relative(process.cwd(), path.join(paths.machineLogs, `${app}-${id}.log`)) || "."}`,
    stack: SANDBOX_STACK,
  };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const env = args.includes("--sandbox") ? await sandboxEnvironment() : await flyEnvironment(option(args, "--stack"));
  return report(await gatherStatus(env), args.includes("--json"));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`status failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
