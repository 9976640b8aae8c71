// The fleet's hold on Pulumi: one stack per user of the one textslash program, driven through the
// Automation API's LocalWorkspace on the project directory (docs/fleet.md says why not an inline
// program). Each operation is a `pulumi` CLI run of its own, so stacks run side by side.
import * as automation from "@pulumi/pulumi/automation";
import { readConfigDeclarations } from "../scripts/gen-config-docs";
import type { FleetFile } from "./schema";
import { configChange, missingSecrets, type DesiredConfig } from "./stack-config";

export interface FleetRuntime {
  /** The textslash project: Pulumi.yaml, index.ts, config.ts, components/. */
  projectDir: string;
  /** Environment of every CLI run (backend, passphrase, FLY_API_URL, FLY_API_TOKEN, ...). */
  env: Record<string, string>;
  /** A pinned CLI; default: `pulumi` on PATH. */
  pulumiCommand?: automation.PulumiCommand;
  pulumiHome?: string;
}

export interface StackRun {
  ok: boolean;
  /** Resource operations of the run (e.g. { same: 20, update: 2 }). */
  changes: Record<string, number>;
  ms: number;
  /** Why it failed: the end of the engine's output. */
  error?: string;
}

export class FleetEngine {
  constructor(readonly runtime: FleetRuntime) {}

  #options(): automation.LocalWorkspaceOptions {
    const { env, pulumiCommand, pulumiHome } = this.runtime;
    // The program is this checkout's, type-checked by tsc in CI: ts-node checking it again on each of
    // a fleet's runs costs seconds of CPU per user (docs/resources.md). The environment may turn it back on.
    const envVars = { PULUMI_NODEJS_TRANSPILE_ONLY: "true", ...env };
    return { envVars, ...(pulumiCommand ? { pulumiCommand } : {}), ...(pulumiHome ? { pulumiHome } : {}) };
  }

  /** The user's stack, created when it does not exist yet. */
  stack(stackName: string): Promise<automation.Stack> {
    return automation.LocalWorkspace.createOrSelectStack({ stackName, workDir: this.runtime.projectDir }, this.#options());
  }

  /** An existing stack, or undefined (never creates one). */
  async existing(stackName: string): Promise<automation.Stack | undefined> {
    try {
      return await automation.LocalWorkspace.selectStack({ stackName, workDir: this.runtime.projectDir }, this.#options());
    } catch (err) {
      if (err instanceof automation.StackNotFoundError || /no stack named/i.test(String((err as Error).message))) return undefined;
      throw err;
    }
  }

  async stackNames(): Promise<string[]> {
    const ws = await automation.LocalWorkspace.create({ workDir: this.runtime.projectDir, ...this.#options() });
    return (await ws.listStacks()).map((s) => s.name);
  }

  /**
   * Sets the keys that differ from `desired` (secrets encrypted by the stack's secrets provider).
   * Refuses, naming the user and the fix, when a required secret is neither given nor already set.
   */
  async applyConfig(stack: automation.Stack, fleet: FleetFile, userId: string, desired: DesiredConfig, secretsFile: string | undefined): Promise<number> {
    const existing = Object.fromEntries(Object.entries(await stack.getAllConfig()).map(([k, v]) => [k, v.value]));
    const user = fleet.users.find((u) => u.id === userId);
    if (user) {
      const missing = missingSecrets(user, desired, (key) => existing[key] !== undefined && existing[key] !== "", secretsFile);
      if (missing.length > 0) throw new Error(missing.join("\n"));
    }
    const defaults = Object.fromEntries(Object.entries(readConfigDeclarations(this.runtime.projectDir)).map(([k, d]) => [k, String(d.default ?? "")]));
    const change = configChange(desired, existing, defaults);
    if (Object.keys(change.set).length > 0) await stack.setAllConfig(change.set);
    if (change.remove.length > 0) await stack.removeAllConfig(change.remove);
    return Object.keys(change.set).length + change.remove.length;
  }

  async up(stack: automation.Stack, onOutput?: (line: string) => void): Promise<StackRun> {
    return this.#run(async () => (await stack.up({ color: "never", ...(onOutput ? { onOutput } : {}) })).summary.resourceChanges ?? {});
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

/** The useful end of a failed CLI run: the diagnostics, not the whole transcript. */
export function engineError(err: unknown): string {
  const e = err as { stderr?: string; stdout?: string; message?: string };
  const text = [e.stderr, e.stdout].filter(Boolean).join("\n") || (e.message ?? String(err));
  const lines = text.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim() !== "");
  const diagnostics = lines.findIndex((l) => /^Diagnostics:/.test(l));
  const relevant = diagnostics >= 0 ? lines.slice(diagnostics + 1) : lines;
  return relevant.slice(0, 20).join("\n");
}
