// The VM's environment, read once at start-up. Names are the contract in docs/services.md.
import { z } from "zod";

export const vmEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  HOST: z.string().min(1).default("0.0.0.0"),
  RELAY_CALLBACK_URL: z
    .url({ protocol: /^https?$/, message: "must be an http(s) URL such as http://x-relay.flycast" })
    .transform((v) => v.replace(/\/+$/, "")),
  RELAY_SHARED_TOKEN: z.string().min(16, "must be at least 16 characters (it is generated per stack)"),
  ANTHROPIC_API_KEY: z.string().min(1, "must not be empty"),
  GITHUB_TOKEN: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default("/data"),
  CLAUDE_BIN: z.string().min(1).default("claude"),
  TASK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(24 * 3600).default(900),
  /** How long SIGTERM waits for running tasks before stopping them (they are kept and rerun at start). */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(600).default(20),
  /** Local sandbox and tests only (they run as root here); the image never sets it. */
  VM_ALLOW_ROOT: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("false")
    .transform((v) => v === "true"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type VmEnv = z.output<typeof vmEnvSchema>;

/** Every problem at once, one per line, naming the variable; never the value (it may be a secret). */
export function parseVmEnv(source: Record<string, string | undefined>): VmEnv {
  const result = vmEnvSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    const missing = issue.code === "invalid_type" && source[String(issue.path[0])] === undefined;
    return `  ${name}: ${missing ? "is required but not set" : issue.message}`;
  });
  throw new Error(`vm environment is invalid:\n${lines.join("\n")}\nSee docs/services.md for the variables.`);
}
