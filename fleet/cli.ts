// `npm run fleet -- <command>`: the hosted offering's driver (docs/fleet.md). One stack per declared
// user of this repository's program, on the Pulumi Automation API. Exit codes: 0 done, 1 refused or
// failed (the report says who and why), 2 usage.
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import * as automation from "@pulumi/pulumi/automation";
import { FleetEngine } from "./engine";
import { FleetFileError, addUser, readFleet, readSecrets, removeUser, setSharedImages } from "./files";
import { pinToDigest } from "./digest";
import { fleetRemove, fleetRollout, fleetUp, type FleetContext } from "./operations";
import type { Images } from "./rollout";
import { TIERS, type Tier } from "./schema";
import { fleetStatus, renderFleetStatus } from "./status";

const USAGE = `usage: npm run fleet -- <command> [options]
  up                          converge every declared user (one stack each); removed users are left alone
  add <id> --numbers +1555…   declare a user (optional --region, --tier ${TIERS.join("|")}, --volume-gb) and converge it
  remove <id>                 destroy a user's apps, /data volume and stack; needs allowDataLoss: true on
                              the user or --allow-data-loss
  rollout                     move every user to the declared images in waves, skipping busy VMs
      [--image <vm ref>] [--relay-image <ref>]  declare new images first (written to the fleet file)
      [--wave-size 5] [--canary 1] [--max-failures 0] [--busy-retries 3] [--busy-pause 60]
      [--progress <file>]     resumable progress and result (default <fleet file>.rollout.json)
  status [--json]             one row per user: machines, image digest, last message, outbox, /data use
options: --file fleet.yaml  --secrets <file outside git>  --concurrency 4  --report <file.json>
environment: FLY_API_TOKEN, FLY_API_URL and the Pulumi backend as for a single stack (README)`;

const options = {
  file: { type: "string", default: "fleet.yaml" },
  secrets: { type: "string" },
  concurrency: { type: "string", default: "4" },
  report: { type: "string" },
  numbers: { type: "string" },
  region: { type: "string" },
  tier: { type: "string" },
  "volume-gb": { type: "string" },
  "allow-data-loss": { type: "boolean", default: false },
  image: { type: "string" },
  "relay-image": { type: "string" },
  "wave-size": { type: "string", default: "5" },
  canary: { type: "string", default: "1" },
  "max-failures": { type: "string", default: "0" },
  "busy-retries": { type: "string", default: "3" },
  "busy-pause": { type: "string", default: "60" },
  progress: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

class UsageError extends Error {}

function whole(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min} (got ${JSON.stringify(value)})`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [command, arg] = positionals;
  if (v.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !v.help ? 2 : 0;
  }
  const file = resolve(v.file);
  const secretsFile = v.secrets ?? process.env.TEXTSLASH_FLEET_SECRETS;
  const log = (line: string) => console.log(line);
  const context = async (): Promise<FleetContext> => {
    // The files first: a bad fleet file is reported before anything else is looked for.
    const fleet = await readFleet(file);
    const secrets = await readSecrets(secretsFile);
    // The CLI on PATH, found (and its version checked) once rather than for every user's workspace.
    const pulumiCommand = await automation.PulumiCommand.get().catch((err: unknown) => {
      throw new Error(`the pulumi CLI was not found on PATH (${(err as Error).message.split("\n")[0]}); install it (README, "Prerequisites")`);
    });
    return {
      engine: new FleetEngine({ projectDir: resolve(__dirname, ".."), env: stringEnv(), pulumiCommand }),
      fleet,
      secrets,
      ...(secretsFile ? { secretsFile } : {}),
      log,
      concurrency: whole("concurrency", v.concurrency, 1),
    };
  };
  const done = async (report: unknown, ok: boolean): Promise<number> => {
    if (v.report) await writeFile(v.report, `${JSON.stringify(report, null, 2)}\n`);
    if (v.json || !v.report) console.log(JSON.stringify(report, null, 2));
    return ok ? 0 : 1;
  };

  switch (command) {
    case "up": {
      const report = await fleetUp(await context());
      return done(report, report.users.every((u) => u.ok));
    }
    case "add": {
      if (!arg || !v.numbers) throw new UsageError("add needs a user id and --numbers, e.g. `fleet add alice --numbers +15551234567`");
      if (v.tier !== undefined && !TIERS.includes(v.tier as Tier)) throw new UsageError(`--tier must be one of ${TIERS.join(", ")}`);
      await addUser(file, {
        id: arg,
        allowedNumbers: v.numbers.split(",").map((n) => n.trim()),
        ...(v.region ? { region: v.region } : {}),
        ...(v.tier ? { tier: v.tier as Tier } : {}),
        ...(v["volume-gb"] ? { volumeSizeGb: v["volume-gb"] } : {}),
      });
      const report = await fleetUp(await context(), [arg]);
      return done(report, report.users.every((u) => u.ok));
    }
    case "remove": {
      if (!arg) throw new UsageError("remove needs a user id");
      const report = await fleetRemove(await context(), arg, v["allow-data-loss"]);
      if (report.removed) await removeUser(file, arg);
      console.log(`${arg}: ${report.why}`);
      return done(report, report.removed);
    }
    case "rollout": {
      const images = { ...(v.image ? { vmImage: v.image } : {}), ...(v["relay-image"] ? { relayImage: v["relay-image"] } : {}) };
      const pinned: Partial<Images> = {};
      if (Object.keys(images).length > 0) {
        // Asked of the registry before the file changes: a tag it does not have leaves the declared images as they were.
        const registry = (await readFleet(file)).shared.imageRegistry;
        for (const [key, ref] of Object.entries(images) as [keyof Images, string][]) pinned[key] = await pinToDigest(ref, registry, log);
        await setSharedImages(file, images);
      }
      const ctx = await context();
      const report = await fleetRollout(ctx, {
        pinned,
        waveSize: whole("wave-size", v["wave-size"], 1),
        canary: whole("canary", v.canary, 0),
        maxFailures: whole("max-failures", v["max-failures"], 0),
        busyRetries: whole("busy-retries", v["busy-retries"], 0),
        busyPauseMs: whole("busy-pause", v["busy-pause"], 0) * 1000,
        progressFile: v.progress ?? `${file}.rollout.json`,
      });
      return done(report, report.halted === undefined && report.failed.length === 0 && report.skipped.length === 0);
    }
    case "status": {
      const status = await fleetStatus(await context());
      if (v.json) return done(status, true);
      console.log(renderFleetStatus(status, new Date()));
      if (v.report) await writeFile(v.report, `${JSON.stringify(status, null, 2)}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

function stringEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`fleet: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(err instanceof FleetFileError ? err.message : `fleet: ${(err as Error).message}`);
    process.exit(1);
  },
);
