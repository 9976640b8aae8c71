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
  /**
   * Tasks one sender may have waiting behind its running one; more are refused with a reply. At least
   * the relay's RELAY_SENDER_QUEUE_LIMIT (20): what the relay held and acknowledged while the VM slept
   * reaches the VM at once when it wakes, and none of it may be refused then.
   */
  MAX_QUEUED_PER_SENDER: z.coerce.number().int().min(1).max(1000).default(20),
  /** Local sandbox and tests only (they run as root here); the image never sets it. */
  VM_ALLOW_ROOT: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("false")
    .transform((v) => v === "true"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * Claude runs as its own unprivileged user, each run in its own cgroup (docs/services.md, "Running
   * a task"). "off" runs it as the service's user with no cgroup: a local sandbox only.
   */
  AGENT_ISOLATION: z.enum(["on", "off"], { message: 'must be "on" or "off"' }).default("on"),
  AGENT_UID: z.coerce.number().int().min(1, "must not be 0: Claude Code refuses to run as root").max(4_294_967_294).optional(),
  AGENT_GID: z.coerce.number().int().min(1, "must not be 0 (root's group)").max(4_294_967_294).optional(),
  /** A cgroup v2 folder delegated to the service's user; each run gets a cgroup below it. */
  AGENT_CGROUP: z.string().startsWith("/", "must be an absolute path such as /sys/fs/cgroup/unified/textslash").optional(),
  /** Extra variables of the VM's own environment that Claude may see (comma list of names). */
  AGENT_ENV_PASSTHROUGH: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((n) => n.trim()).filter((n) => n !== ""))
    .pipe(
      z
        .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a comma list of variable names"))
        .refine((names) => !names.includes("RELAY_SHARED_TOKEN"), "must not name RELAY_SHARED_TOKEN: the agent must never see the relay token"),
    ),
});

export interface AgentIsolation {
  uid: number;
  gid: number;
  cgroup: string;
}

export type VmEnv = z.output<typeof vmEnvSchema> & {
  /** Absent only with AGENT_ISOLATION=off. */
  agent?: AgentIsolation;
};

const isolationVariables = ["AGENT_UID", "AGENT_GID", "AGENT_CGROUP"] as const;

/** Every problem at once, one per line, naming the variable; never the value (it may be a secret). */
export function parseVmEnv(source: Record<string, string | undefined>): VmEnv {
  const result = vmEnvSchema.safeParse(source);
  const lines = (result.error?.issues ?? []).map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    const missing = issue.code === "invalid_type" && source[String(issue.path[0])] === undefined;
    return `  ${name}: ${missing ? "is required but not set" : issue.message}`;
  });
  if (source.AGENT_ISOLATION !== "off") {
    for (const name of isolationVariables) {
      if (source[name] === undefined) {
        lines.push(`  ${name}: is required while AGENT_ISOLATION is on (the image's entrypoint sets it; AGENT_ISOLATION=off is for a local sandbox only)`);
      }
    }
  }
  if (result.success && lines.length === 0) {
    const { AGENT_UID: uid, AGENT_GID: gid, AGENT_CGROUP: cgroup } = result.data;
    return { ...result.data, ...(result.data.AGENT_ISOLATION === "on" && uid && gid && cgroup ? { agent: { uid, gid, cgroup } } : {}) };
  }
  throw new Error(`vm environment is invalid:\n${lines.join("\n")}\nSee docs/services.md for the variables.`);
}
