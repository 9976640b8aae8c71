// `pulumi up`, `preview`, `refresh` and `destroy` run the program compiled to plain JavaScript
// (Pulumi.yaml: the nodejs runtime's TypeScript support off, `main` components/program.cjs, which
// loads dist/program.js through components/bundles.cjs). So a deploy never type-checks and the
// program process never loads a TypeScript compiler: not for ts-node, and not for @pulumi/pulumi's
// closure serialization (pulumi.dynamic.Resource parses each provider function with TypeScript),
// which no resource of the program uses. Proved by running the entry point in a Node process of its
// own under Pulumi's mocks with a whole stack configuration, and listing the modules it loaded.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { stackConfig } from "../engine/fly-stack";

const repoRoot = path.resolve(__dirname, "..", "..");
const project = parse(readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as { main?: string; runtime: { options?: Record<string, unknown> } };
/** The entry point: package.json's `main`, which the nodejs runtime runs when Pulumi.yaml has none. */
const entryPoint = (JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { main: string }).main;
/** The Node options the language host starts the program with (Pulumi.yaml `nodeargs`). */
const nodeargs = String(project.runtime.options?.nodeargs ?? "").split(/\s+/).filter(Boolean);

/** Runs `script` in a Node process started with `args` in the project folder; returns its last line of output, parsed. */
function runNode<T>(args: string[], script: string): T {
  const result = spawnSync(process.execPath, [...args, "-e", script], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`node ${[...args, "-e", "<script>"].join(" ")} failed (${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop()!) as T;
}

/** Runs the program's entry point under mocks; returns what it registered and which modules it loaded. */
function runEntryPoint(): { registered: string[]; outputs: string[]; typescript: string[]; automation: string[] } {
  const config = stackConfig("unit", { registry: "registry.example.test", relay: "registry.example.test/textslash-relay:v1", vm: "registry.example.test/textslash-vm:v1" });
  const env = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.value]))),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(Object.entries(config).filter(([, v]) => v.secret).map(([k]) => k)),
  };
  // With the program's preload, as the language host starts it (Pulumi.yaml nodeargs): it defers
  // TypeScript and the Automation API before @pulumi/pulumi is first loaded, here by the mocks.
  const script = `
    const pulumi = require("@pulumi/pulumi");
    const registered = [];
    pulumi.runtime.setMocks({
      newResource: (a) => { registered.push(a.name); return { id: a.name + "-id", state: { ...a.inputs, sha256Digest: "sha256:" + "0".repeat(64) } }; },
      call: (a) => ({ ...a.inputs, sha256Digest: "sha256:" + "0".repeat(64) }),
    }, "textslash", "unit", false);
    const outputs = require(${JSON.stringify(path.join(repoRoot, entryPoint))});
    const deadline = Date.now() + 60000;
    const done = () => registered.includes("textslash-data-loss-guard") && registered.includes("textslash-deployment-check");
    const poll = setInterval(() => {
      if (!done() && Date.now() < deadline) return;
      clearInterval(poll);
      const typescript = Object.keys(require.cache).filter((m) => /[\\\\/](typescript|ts-node[^\\\\/]*)[\\\\/]/.test(m));
      // The Automation API's modules (its index is the deferring stand-in until first use).
      const automation = Object.keys(require.cache).filter((m) => /[\\\\/]automation[\\\\/](?!index\\.js$)/.test(m));
      console.log(JSON.stringify({ registered, outputs: Object.keys(outputs), typescript, automation }));
    }, 50);`;
  const result = spawnSync(process.execPath, [...nodeargs, "-e", script], { cwd: repoRoot, env, encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`the program's entry point failed (${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop()!) as ReturnType<typeof runEntryPoint>;
}

describe("the program a deploy runs", () => {
  it("is plain JavaScript: Pulumi's TypeScript support is off and package.json's main is the bundle's entry point", () => {
    expect(project.runtime.options?.typescript).toBe(false);
    // A `main:` in Pulumi.yaml would make its folder the working directory of the program and of
    // every plugin (service build contexts and the deployment check are relative to the project).
    expect(project.main).toBeUndefined();
    expect(entryPoint).toBe("components/program.cjs");
    expect(existsSync(path.join(repoRoot, entryPoint))).toBe(true);
  });

  it("runs with Node's compile cache on from the process's first module (Pulumi.yaml nodeargs)", async () => {
    expect(nodeargs).toEqual(["--require", "./components/program-preload.cjs"]);
    const cache = await mkdtemp(path.join(tmpdir(), "textslash-preload-cache-"));
    try {
      // As the language host starts the program: node <nodeargs> …, in the project folder.
      const cacheDir = () => {
        const result = spawnSync(process.execPath, [...nodeargs, "-e", 'console.log(require("node:module").getCompileCacheDir() ?? "off")'], {
          cwd: repoRoot,
          encoding: "utf8",
          env: { ...process.env, TEXTSLASH_COMPILE_CACHE_DIR: cache },
        });
        expect(result.stderr).toBe("");
        return result.stdout.trim();
      };
      // No folder yet (an install whose scripts did not run): off for this run, and the warmer
      // started once the process has exited fills every kind's folder.
      expect(cacheDir()).toBe("off");
      const deadline = Date.now() + 30_000;
      while ((existsSync(path.join(cache, ".warming")) || readdirSync(cache).length < 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(cache).sort()).toEqual(["deployment-check", "program", "provider-host"]);
      // Then on, in the program's own folder.
      expect(cacheDir()).toMatch(new RegExp(`^${path.join(cache, "program")}/`));
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it("opens the closure serializer's inspector session on first use, not before every program", () => {
    // As cmd/run starts a program (cmd/run/index.js initializeHooks), then as the serializer finds a
    // function's file (runtime/closure/v8.js), for a function of a module loaded before any session.
    const script = `
      const inspector = require("node:inspector");
      let sessions = 0;
      const connect = inspector.Session.prototype.connect;
      inspector.Session.prototype.connect = function () { sessions++; return connect.call(this); };
      const { staleness } = require("./components/bundles.cjs");
      (async () => {
        await require("@pulumi/pulumi/runtime/closure/v8Hooks").isInitializedAsync();
        const beforeUse = sessions;
        const { file } = await require("@pulumi/pulumi/runtime/closure/v8").getFunctionLocationAsync(staleness);
        const serialized = await require("@pulumi/pulumi").runtime.serializeFunction(() => 42);
        console.log(JSON.stringify({ beforeUse, file, serialized: serialized.text.includes("42"), sessions }));
      })();`;
    const run = (args: string[]) => runNode<{ beforeUse: number; file: string; serialized: boolean; sessions: number }>(args, script);
    // Without the preload, the SDK's own behaviour: a session before anything is serialized.
    expect(run([])).toMatchObject({ beforeUse: 1, serialized: true, sessions: 1 });
    const deferred = run(nodeargs);
    expect(deferred).toMatchObject({ beforeUse: 0, serialized: true, sessions: 1 });
    // The script was loaded before the session was opened, and is still mapped to its file.
    expect(deferred.file).toMatch(/components[\\/]bundles\.cjs$/);
  });

  it("loads OpenTelemetry's SDK for cmd/run's tracing only when tracing starts", () => {
    // As cmd/run uses its tracing (cmd/run/run.js): newSpan on every run, start only with --tracing.
    const script = `
      const sdkOtel = () => Object.keys(require.cache).filter((m) => /@opentelemetry[\\/](resources|sdk-trace-base|sdk-trace-node|exporter-zipkin|instrumentation)/.test(m)).length;
      const tracing = require("@pulumi/pulumi/cmd/run/tracing");
      const untraced = tracing.newSpan("language-runtime.run");
      untraced.end();
      const before = { modules: sdkOtel(), recording: untraced.isRecording() };
      tracing.start("http://127.0.0.1:9/api/v2/spans");
      const traced = tracing.newSpan("language-runtime.run");
      console.log(JSON.stringify({ before, after: { modules: sdkOtel(), recording: traced.isRecording() } }));
      process.exit(0);`;
    type Spans = { modules: number; recording: boolean };
    const run = (args: string[]) => runNode<{ before: Spans; after: Spans }>(args, script);
    const sdk = run([]);
    expect(sdk.before.modules).toBeGreaterThan(0);
    const deferred = run(nodeargs);
    expect(deferred.before).toEqual({ modules: 0, recording: false });
    // Started, it is the SDK's tracing: a recording span under the root span.
    expect(deferred.after).toEqual({ modules: sdk.after.modules, recording: true });
  });

  it("declares the whole stack and exports its outputs without loading a TypeScript compiler or the Automation API", () => {
    const run = runEntryPoint();
    expect(run.registered).toEqual(expect.arrayContaining(["textslash", "relay-app", "vm-app", "vm-volume", "textslash-data-loss-guard", "textslash-deployment-check"]));
    expect(run.outputs.sort()).toEqual(["monthlyCostEstimate", "nextSteps", "relayApp", "relayMachineId", "relayUrl", "vmApp", "vmMachineId", "webhookUrl"]);
    expect(run.typescript).toEqual([]);
    expect(run.automation).toEqual([]);
  });
});
