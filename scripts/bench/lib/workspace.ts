// The deploy benchmark's two projects: the textslash program (copied as a user's checkout has it,
// on the local Fly API, running published test images) and an empty TypeScript program (the floor:
// what any Pulumi TypeScript program costs). Both run with the same pinned CLI, the same kind of
// file backend, the same Node and the engine tests' harness, so a pair of runs differs only in the
// program. Runs are timed around the CLI process itself.
import { startFlyApi, type LocalFlyApi } from "../../../sandbox/flyapi";
import { createEngineProject, type EngineProject } from "../../../tests/engine/harness";
import { programFiles, stackConfig, stackEnv, flyToken } from "../../../tests/engine/fly-stack";
import { startTestRegistry, type TestRegistry } from "../../../tests/engine/test-registry";
import { warmerSettled } from "./cold-states";

/**
 * Pulumi's `typescript` template (`pulumi new typescript`) with no resource, type-checking off
 * (`noCheck`, which the nodejs runtime turns into ts-node's transpileOnly): the cheapest way
 * Pulumi runs a TypeScript program.
 */
const floorFiles: Record<string, string> = {
  "Pulumi.yaml": "name: floor\nruntime:\n  name: nodejs\n  options:\n    typescript: true\ndescription: An empty TypeScript program\n",
  "index.ts": 'import * as pulumi from "@pulumi/pulumi";\n\nexport const stack = pulumi.getStack();\n',
  "package.json": JSON.stringify({ name: "floor", main: "index.ts", dependencies: { "@pulumi/pulumi": "*" } }, null, 2),
  "tsconfig.json": JSON.stringify(
    {
      compilerOptions: {
        strict: true,
        outDir: "bin",
        target: "es2020",
        module: "commonjs",
        moduleResolution: "node",
        sourceMap: true,
        experimentalDecorators: true,
        noCheck: true,
      },
      files: ["index.ts"],
    },
    null,
    2,
  ),
};

export type ProjectKind = "floor" | "textslash";

export interface RunResult {
  wallMs: number;
  stdout: string;
}

export interface BenchWorkspace {
  api: LocalFlyApi;
  /** Creates a stack in the project; a textslash stack gets a whole fake config with this prefix. */
  createStack(kind: ProjectKind, stack: string, prefix?: string): Promise<void>;
  /** The project's folder (a copy of the checkout's program for "textslash"). */
  dir(kind: ProjectKind): string;
  /** Runs `pulumi <args>` in the project with `env` added; throws with its output unless it exits 0. */
  pulumi(kind: ProjectKind, args: string[], env?: Record<string, string>): Promise<RunResult>;
  close(): Promise<void>;
}

export async function benchWorkspace(): Promise<BenchWorkspace> {
  const api = await startFlyApi({ port: 0, token: flyToken, log: () => undefined });
  const registry: TestRegistry = await startTestRegistry();
  const projects: Partial<Record<ProjectKind, EngineProject>> = {};
  const close = async () => {
    await Promise.all(Object.values(projects).map((p) => p.cleanup()));
    await registry.stop();
    await api.close();
  };
  try {
    const relay = await registry.publish("textslash-relay", "v1");
    const vm = await registry.publish("textslash-vm", "v1");
    const images = { registry: registry.address, relay: relay.ref, vm: vm.ref };
    projects.floor = await createEngineProject({ files: floorFiles, stackName: "floor-base", standIns: false });
    projects.textslash = await createEngineProject({ copyFromRepo: programFiles, stackName: "textslash-base", env: stackEnv(api.url) });
    const project = (kind: ProjectKind) => projects[kind]!;
    return {
      api,
      dir: (kind) => project(kind).dir,
      async createStack(kind, stack, prefix = stack) {
        const ws = project(kind).stack.workspace;
        await ws.createStack(stack);
        if (kind === "textslash") await ws.setAllConfig(stack, stackConfig(prefix, images));
      },
      async pulumi(kind, args, env = {}) {
        const started = Date.now();
        const result = await project(kind).cli(args, { env });
        const wallMs = Date.now() - started;
        // Not timed: a cache warmer the run left behind (it found the cache missing) finishes first.
        if (kind === "textslash") await warmerSettled();
        if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} in ${kind} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
        return { wallMs, stdout: result.stdout };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
