// The fleet's hold on Pulumi: one stack per user of the one textslash program, driven through the
// Automation API's LocalWorkspace on the project directory. By default the program runs inline, in
// this long-lived process (components/textslash-program.ts), for every user: no language host and no
// program process per run (docs/fleet.md, "Scale", has the measurements). The stacks stay ordinary
// stacks of the project: `pulumi -s acme-alice up` in the project directory runs index.ts, which
// calls the same function.
import * as automation from "@pulumi/pulumi/automation";
import { readConfigDeclarations } from "../scripts/gen-config-docs";
import { textslashProgram } from "../components/textslash-program";
import type { FleetFile } from "./schema";
import { readStackFile, writeStackFile } from "./stack-file";
import { configChange, missingSecrets, type DesiredConfig } from "./stack-config";

export interface FleetRuntime {
  /** The textslash project: Pulumi.yaml, index.ts, config.ts, components/. */
  projectDir: string;
  /**
   * Environment of every CLI run (backend, passphrase, FLY_API_URL, FLY_API_TOKEN, ...). An inline
   * program runs in this process and reads FLY_API_TOKEN from process.env (components/textslash-stack.ts),
   * so the two must agree on it (checked).
   */
  env: Record<string, string>;
  /** A pinned CLI; default: `pulumi` on PATH. */
  pulumiCommand?: automation.PulumiCommand;
  pulumiHome?: string;
  /** "inline" (default): the program runs in this process; "cli": each run starts index.ts with its own language host. */
  program?: "inline" | "cli";
}

export interface StackRun {
  ok: boolean;
  /** Resource operations of the run (e.g. { same: 20, update: 2 }). */
  changes: Record<string, number>;
  ms: number;
  /** Why it failed: the end of the engine's output. */
  error?: string;
}

/** Program-side environment an inline program reads from this process, not from the CLI's env. */
const PROGRAM_ENV = ["FLY_API_TOKEN"] as const;

export class FleetEngine {
  #workspace?: Promise<automation.LocalWorkspace>;
  #known?: Promise<Set<string>>;

  constructor(readonly runtime: FleetRuntime) {
    if ((runtime.program ?? "inline") === "inline") {
      for (const key of PROGRAM_ENV) {
        if ((runtime.env[key] ?? "") !== (process.env[key] ?? "")) {
          throw new Error(
            `the fleet's ${key} differs between its own environment and the one given to the pulumi CLI; ` +
              `the inline program reads it from the fleet's process: set the same ${key} for both (or run with program "cli")`,
          );
        }
      }
    }
  }

  /**
   * One workspace for every user's stack. Every Stack operation names its stack (`--stack <name>`,
   * automation/stack.js runPulumiCmd), so selecting a stack first (`pulumi stack select`, a CLI run,
   * automation/localWorkspace.js selectStack) only proves that it exists: the fleet knows that from
   * one `pulumi stack ls` and selects through the CLI only a stack it has not seen.
   */
  #ws(): Promise<automation.LocalWorkspace> {
    this.#workspace ??= (async () => {
      const { env, pulumiCommand, pulumiHome, projectDir } = this.runtime;
      const inline = (this.runtime.program ?? "inline") === "inline";
      // The CLI program (`--program cli`) is the compiled bundle (components/program.cjs), run without
      // ts-node; this keeps a checkout from before that change from type-checking on each run.
      const envVars = { PULUMI_NODEJS_TRANSPILE_ONLY: "true", ...env };
      const ws = await automation.LocalWorkspace.create({
        workDir: projectDir,
        envVars,
        ...(inline ? { program: async () => textslashProgram() } : {}),
        ...(pulumiCommand ? { pulumiCommand } : {}),
        ...(pulumiHome ? { pulumiHome } : {}),
      });
      const select = ws.selectStack.bind(ws);
      ws.selectStack = async (stackName: string) => {
        if (!(await this.#knownStacks()).has(stackName)) await select(stackName);
      };
      return ws;
    })();
    return this.#workspace;
  }

  #knownStacks(): Promise<Set<string>> {
    this.#known ??= this.#ws().then(async (ws) => new Set((await ws.listStacks()).map((s) => s.name)));
    return this.#known;
  }

  /** The user's stack, created when it does not exist yet. */
  async stack(stackName: string): Promise<automation.Stack> {
    const ws = await this.#ws();
    if ((await this.#knownStacks()).has(stackName)) return automation.Stack.select(stackName, ws);
    const stack = await automation.Stack.createOrSelect(stackName, ws);
    (await this.#knownStacks()).add(stackName);
    return stack;
  }

  /** An existing stack, or undefined (never creates one). */
  async existing(stackName: string): Promise<automation.Stack | undefined> {
    if (!(await this.#knownStacks()).has(stackName)) return undefined;
    return automation.Stack.select(stackName, await this.#ws());
  }

  /** Every stack of the project, asked of the backend (not the fleet's cache, which it refreshes). */
  async stackNames(): Promise<string[]> {
    const names = (await (await this.#ws()).listStacks()).map((s) => s.name);
    this.#known = Promise.resolve(new Set(names));
    return names;
  }

  async removeStack(stack: automation.Stack): Promise<void> {
    await stack.workspace.removeStack(stack.name);
    (await this.#knownStacks()).delete(stack.name);
  }

  /** The stack's plain config from its file (Pulumi.yaml's defaults under it), and which secrets it has. */
  async config(stackName: string): Promise<{ plain: Record<string, string>; secure: Set<string> }> {
    const file = await readStackFile(this.runtime.projectDir, stackName);
    return { plain: { ...this.#defaults(), ...file.plain }, secure: file.secure };
  }

  /** Plain values written to the stack's file (no CLI run); secrets never go this way. */
  async setPlainConfig(stackName: string, values: Record<string, string>): Promise<void> {
    await writeStackFile(this.runtime.projectDir, stackName, values);
  }

  #defaults(): Record<string, string> {
    return Object.fromEntries(Object.entries(readConfigDeclarations(this.runtime.projectDir)).map(([k, d]) => [k, String(d.default ?? "")]));
  }

  /**
   * Sets the keys that differ from `desired` (secrets encrypted by the stack's secrets provider).
   * Refuses, naming the user and the fix, when a required secret is neither given nor already set.
   * The stack's file answers for plain keys; only when the fleet gives secret values are the stack's
   * decrypted (`pulumi config --show-secrets`) to compare them.
   */
  async applyConfig(stack: automation.Stack, fleet: FleetFile, userId: string, desired: DesiredConfig, secretsFile: string | undefined): Promise<number> {
    const file = await this.config(stack.name);
    const existing: Record<string, string> =
      Object.keys(desired.secrets).length > 0
        ? Object.fromEntries(Object.entries(await stack.getAllConfig()).map(([k, v]) => [k, v.value]))
        : file.plain;
    const user = fleet.users.find((u) => u.id === userId);
    if (user) {
      const has = (key: string) => file.secure.has(key) || (existing[key] !== undefined && existing[key] !== "");
      const missing = missingSecrets(user, desired, has, secretsFile);
      if (missing.length > 0) throw new Error(missing.join("\n"));
    }
    const change = configChange(desired, existing, this.#defaults());
    const secrets = Object.values(change.set).some((v) => v.secret);
    if (secrets) await stack.setAllConfig(change.set);
    if ((!secrets && Object.keys(change.set).length > 0) || change.remove.length > 0) {
      const plain = secrets ? {} : Object.fromEntries(Object.entries(change.set).map(([k, v]) => [k, v.value]));
      await writeStackFile(this.runtime.projectDir, stack.name, plain, change.remove);
    }
    return Object.keys(change.set).length + change.remove.length;
  }

  /**
   * `pulumi up`, and nothing else. The Automation API's up() runs `stack output` twice and
   * `stack history` after the update (automation/stack.js) for outputs and a summary; the fleet
   * needs no outputs and takes the summary from the update's own event stream instead.
   */
  async up(stack: automation.Stack, onOutput?: (line: string) => void): Promise<StackRun> {
    return this.#run(async () => {
      let changes: Record<string, number> = {};
      await withoutReadBack(stack, () =>
        stack.up({
          color: "never",
          ...(onOutput ? { onOutput } : {}),
          onEvent: (event) => {
            if (event.summaryEvent) changes = { ...event.summaryEvent.resourceChanges } as Record<string, number>;
          },
        }),
      );
      return changes;
    });
  }

  async destroy(stack: automation.Stack, onOutput?: (line: string) => void): Promise<StackRun> {
    return this.#run(async () => (await stack.destroy({ color: "never", ...(onOutput ? { onOutput } : {}) })).summary.resourceChanges ?? {});
  }

  async #run(op: () => Promise<Record<string, number>>): Promise<StackRun> {
    const started = Date.now();
    try {
      const changes = await op();
      return { ok: true, changes, ms: Date.now() - started };
    } catch (err) {
      return { ok: false, changes: {}, ms: Date.now() - started, error: engineError(err) };
    }
  }
}

/**
 * Runs `op` with the stack's outputs() and info() answering without a CLI run (only for this call:
 * the handle is the fleet's own, one operation at a time per user).
 */
async function withoutReadBack<T>(stack: automation.Stack, op: () => Promise<T>): Promise<T> {
  const own = stack as unknown as Record<string, unknown>;
  own.outputs = async () => ({});
  own.info = async () => undefined;
  try {
    return await op();
  } finally {
    delete own.outputs;
    delete own.info;
  }
}

/** The useful end of a failed CLI run: the diagnostics, not the whole transcript. */
export function engineError(err: unknown): string {
  const e = err as { stderr?: string; stdout?: string; message?: string };
  const text = [e.stderr, e.stdout].filter(Boolean).join("\n") || (e.message ?? String(err));
  const lines = text.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim() !== "");
  const diagnostics = lines.findIndex((l) => /^Diagnostics:/.test(l));
  const relevant = diagnostics >= 0 ? lines.slice(diagnostics + 1) : lines;
  return relevant.slice(0, 20).join("\n");
}
