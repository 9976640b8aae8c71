// npx tsx scripts/sandbox-flyapi.ts [--port N] [--state file] [--rate-limits]
// Runs only the local Fly API (no machine processes: every image is state-only), for poking at it with
// curl, flyctl-like scripts or the project's Fly client. Prints FLY_API_URL and FLY_API_TOKEN to export.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { startFlyApi } from "../sandbox/flyapi";

const argsSchema = z.object({
  port: z
    .string()
    .regex(/^\d+$/, "--port must be a whole number (0 = any free port)")
    .transform(Number)
    .refine((p) => p <= 65535, "--port must be at most 65535")
    .default(0),
  state: z.string().min(1, "--state needs a file path").optional(),
  host: z.string().default("127.0.0.1"),
  "rate-limits": z.boolean().default(false),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      state: { type: "string" },
      host: { type: "string" },
      "rate-limits": { type: "boolean" },
    },
    strict: true,
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
  const args = parsed.data;
  // The user's own local sandbox token: theirs if they set one, else a fresh one printed once below.
  const token = process.env["FLY_API_TOKEN"]?.trim() || `sandbox-${randomBytes(16).toString("hex")}`;
  const api = await startFlyApi({
    port: args.port,
    host: args.host,
    token,
    ...(args.state !== undefined ? { persistPath: path.resolve(args.state) } : {}),
    log: (line) => console.error(line),
  });
  api.setRateLimits(args["rate-limits"]);
  console.log(`FLY_API_URL=${api.url} FLY_API_TOKEN=${token}`);
  console.error(
    `local Fly API listening (state ${args.state !== undefined ? `in ${path.resolve(args.state)}` : "in memory only"}, ` +
      `rate limits ${args["rate-limits"] ? "on" : "off"}); Ctrl-C to stop`,
  );
  const shutdown = (): void => {
    void api.close().then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  console.error(`sandbox-flyapi: ${(error as Error).message}`);
  process.exit(1);
});
