// Node's compile cache as `npm ci` leaves it (package.json's prepare: the bundles, then
// components/warm-compile-cache.cjs) serves a deploy's own processes: V8 accepts every cached
// module and the deploy writes next to nothing, and from the second deploy on nothing at all (the
// program process, the provider host and the deployment check keep folders of their own, so none
// rejects and rewrites another's entries: components/compile-cache.cjs). Node's native debug log says it per module
// (NODE_DEBUG_NATIVE=COMPILE_CACHE, nodejs/node src/compile_cache.cc: "V8 code cache for CommonJS
// <file> was accepted|rejected", "writing cache for CommonJS <file>").
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlyStack, type FlyStack } from "./fly-stack";

const execFileAsync = promisify(execFile);

const mentions = (log: string, what: RegExp) => [...log.matchAll(what)].map((m) => m[1]!);

describe("Node's compile cache after npm ci", () => {
  let s: FlyStack;
  let cache: string;

  beforeAll(async () => {
    s = await startFlyStack({ stackName: "ccache" });
    await s.up();
    cache = await mkdtemp(join(tmpdir(), "textslash-compile-cache-"));
  }, 300_000);

  afterAll(async () => {
    await s?.close();
    if (cache) await rm(cache, { recursive: true, force: true });
  });

  it("is warmed by prepare, one folder per kind of process", async () => {
    const { stdout } = await execFileAsync(process.execPath, ["components/warm-compile-cache.cjs"], { cwd: s.project.dir, env: { ...process.env, TEXTSLASH_COMPILE_CACHE_DIR: cache } });
    expect(stdout).toMatch(/warmed Node's compile cache \(program, provider-host, deployment-check\)/);
    expect((await readdir(cache)).sort()).toEqual(["deployment-check", "program", "provider-host"]);
  });

  it("is skipped with a warning, and the install goes on, where the cache cannot be written", async () => {
    const notAFolder = join(cache, "program", "not-a-folder");
    await writeFile(notAFolder, "");
    const { stdout, stderr } = await execFileAsync(process.execPath, ["components/warm-compile-cache.cjs"], { cwd: s.project.dir, env: { ...process.env, TEXTSLASH_COMPILE_CACHE_DIR: notAFolder } });
    expect(stdout).toBe("");
    expect(stderr).toMatch(/textslash: Node's compile cache is only partly warmed \(the first deploy will be slower, nothing else changes\): program: Cannot create cache directory: not a directory .*not-a-folder\/program\); provider-host: /);
  });

  it("serves a no-op up: every cached module accepted, only the program's own entry files written, then nothing", async () => {
    const env = { TEXTSLASH_COMPILE_CACHE_DIR: cache, NODE_DEBUG_NATIVE: "COMPILE_CACHE" };
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const up = await s.cli(["up", "--yes", "--skip-preview"], { env });
      expect(up.code, up.stdout + up.stderr).toBe(0);
      const log = up.stdout + up.stderr;
      runs.push({
        accepted: mentions(log, /V8 code cache for CommonJS (\S+) was accepted/g),
        rejected: mentions(log, /V8 code cache for CommonJS (\S+) was rejected/g),
        written: mentions(log, /writing cache for CommonJS (\S+) to temporary file/g),
      });
    }
    const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
    // Both processes ran from the cache: @pulumi/pulumi (the program's) and protobufjs (the host's).
    expect(first.accepted.some((f) => f.includes("/node_modules/@pulumi/pulumi/runtime/"))).toBe(true);
    expect(first.accepted.some((f) => f.includes("/node_modules/protobufjs/"))).toBe(true);
    expect(first.rejected).toEqual([]);
    // cmd/run's index.js and run.js start a run when loaded, so the warmer leaves them out.
    expect(first.written.filter((f) => f.includes("/node_modules/") && !/@pulumi\/pulumi\/cmd\/run\/(index|run)\.js$/.test(f))).toEqual([]);
    expect(second.rejected).toEqual([]);
    expect(second.written).toEqual([]);
  }, 240_000);

  it("where the cache is missing, a no-op up writes none of it and leaves the warmer to fill it after", async () => {
    const missing = await mkdtemp(join(tmpdir(), "textslash-compile-cache-missing-"));
    try {
      const env = { TEXTSLASH_COMPILE_CACHE_DIR: missing, NODE_DEBUG_NATIVE: "COMPILE_CACHE" };
      const first = await s.cli(["up", "--yes", "--skip-preview"], { env });
      expect(first.code, first.stdout + first.stderr).toBe(0);
      // No process of the run compiled into a cache (so none wrote one as it exited).
      expect(mentions(first.stdout + first.stderr, /writing cache for \S+ (\S+)/g)).toEqual([]);
      const deadline = Date.now() + 60_000;
      while ((existsSync(join(missing, ".warming")) || (await readdir(missing)).length < 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await readdir(missing)).sort()).toEqual(["deployment-check", "program", "provider-host"]);
      // The next run is served by what the warmer wrote.
      const second = await s.cli(["up", "--yes", "--skip-preview"], { env });
      expect(second.code, second.stdout + second.stderr).toBe(0);
      const log = second.stdout + second.stderr;
      expect(mentions(log, /V8 code cache for CommonJS (\S+) was accepted/g).some((f) => f.includes("/node_modules/@pulumi/pulumi/runtime/"))).toBe(true);
      expect(mentions(log, /V8 code cache for CommonJS (\S+) was rejected/g)).toEqual([]);
    } finally {
      await rm(missing, { recursive: true, force: true });
    }
  }, 240_000);

  it("serves the deployment check: its bundle (with the parts of zod it uses) accepted, nothing written", async () => {
    // As the stack's command runs it (textslash-stack.ts), told to skip polling: loading is what is measured.
    const { stderr } = await execFileAsync(process.execPath, ["components/deployment-check/main.mjs"], {
      cwd: s.project.dir,
      env: {
        ...process.env,
        TEXTSLASH_COMPILE_CACHE_DIR: cache,
        NODE_DEBUG_NATIVE: "COMPILE_CACHE",
        TEXTSLASH_DEPLOYMENT_CHECK: "skip",
        TEXTSLASH_CHECK_ENDPOINTS: JSON.stringify([{ name: "the relay", url: "https://relay.example.test/health", hint: "none" }]),
      },
    });
    const accepted = mentions(stderr, /V8 code cache for ESM (\S+) was accepted/g);
    expect(accepted.some((f) => f.endsWith("/dist/deployment-check.mjs"))).toBe(true);
    // zod is inside the bundle: none of its files is loaded on its own.
    expect(accepted.filter((f) => f.includes("/node_modules/zod/"))).toEqual([]);
    expect(mentions(stderr, /V8 code cache for ESM (\S+) was rejected/g)).toEqual([]);
    // The warmer loaded the whole bundle (loading it runs nothing), so the check writes no entry.
    expect(mentions(stderr, /writing cache for ESM (\S+) to temporary file/g)).toEqual([]);
  });
});
