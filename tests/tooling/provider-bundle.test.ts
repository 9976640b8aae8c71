// components/bundles.cjs serves the dynamic providers from dist/providers.js, and never a bundle
// older than the checkout: a source edited (or pulled) since the build is found by its hash and the
// bundle rebuilt before any provider runs. Each step runs in a new Node process, as each engine run
// starts a new provider process, in a throwaway copy of the checkout.
import { spawnSync } from "node:child_process";
import { appendFile, cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerModuleText } from "../../components/provider-text";

const repoRoot = path.resolve(__dirname, "..", "..");
let root: string;

/** Runs `script` with Node in the copy; returns its stdout (throws with stderr on failure). */
function node(script: string): string {
  const result = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`node -e failed (${result.status}):\n${result.stderr}`);
  return result.stdout.trim();
}

const loader = 'const b = require("./components/bundles.cjs");';

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "textslash-bundle-"));
  for (const file of ["components", "tsconfig.json", "package.json"]) {
    await cp(path.join(repoRoot, file), path.join(root, file), { recursive: true, filter: (src) => !/\/(node_modules|dist)(\/|$)/.test(src.slice(repoRoot.length)) });
  }
  await symlink(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"), "dir");
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("the provider bundle", () => {
  it("is built on first use when a checkout has none, and then matches its sources", () => {
    expect(node(`${loader} console.log(b.staleness(process.cwd()))`)).toBe("dist/providers.js has not been built");
    expect(node(`${loader} console.log(Object.keys(b.provider(process.cwd(), "ipProvider")).sort().join(","))`)).toBe("check,configure,create,delete,diff,read,update");
    expect(existsSync(path.join(root, "dist", "providers.js"))).toBe(true);
    expect(node(`${loader} console.log(String(b.staleness(process.cwd())))`)).toBe("undefined");
  });

  it("is rebuilt when a source changed since the build, and runs the changed code", async () => {
    await appendFile(path.join(root, "components", "fly", "ip.ts"), '\n(ipProvider as unknown as Record<string, string>).edited = "after the build";\n');
    expect(node(`${loader} console.log(b.staleness(process.cwd()))`)).toBe("components/fly/ip.ts changed");
    expect(node(`${loader} console.log(b.provider(process.cwd(), "ipProvider").edited)`)).toBe("after the build");
    expect(await readFile(path.join(root, "dist", "providers.js"), "utf8")).toContain("after the build");
  });

  it("is built without a worker thread, and the process's environment is left as it was", async () => {
    await appendFile(path.join(root, "components", "fly", "ip.ts"), "\n// a pull\n");
    // Counts the worker threads esbuild would start for its synchronous API (lib/main.js).
    const script = (setting: string) => `
      const workerThreads = require("node:worker_threads");
      let workers = 0;
      const Worker = workerThreads.Worker;
      workerThreads.Worker = class extends Worker { constructor(...args) { super(...args); workers++; } };
      ${setting}
      ${loader} b.build(process.cwd(), "providers");
      console.log(JSON.stringify({ workers, env: process.env.ESBUILD_WORKER_THREADS ?? null }));`;
    expect(JSON.parse(node(script("")))).toEqual({ workers: 0, env: null });
    // One the user set is theirs: esbuild's own default, with its worker.
    expect(JSON.parse(node(script('process.env.ESBUILD_WORKER_THREADS = "1";')))).toEqual({ workers: 1, env: "1" });
  });

  it("is rebuilt when tsconfig.json, which esbuild reads, changed", async () => {
    await appendFile(path.join(root, "tsconfig.json"), "\n");
    expect(node(`${loader} console.log(b.staleness(process.cwd()))`)).toBe("tsconfig.json changed");
  });

  it("serves the module text a resource stores: handler() finds the loader from the provider process's directory", () => {
    const text = providerModuleText("ipProvider", "/nonexistent-checkout");
    const script = `const m = { exports: {} }; new Function("exports", "require", "module", ${JSON.stringify(text)})(m.exports, require, m); console.log(typeof m.exports.handler().create)`;
    expect(node(script)).toBe("function");
  });

  it("preload initialises every Fly provider ahead of the first call (the provider host's warm-up), and not the Twilio one", () => {
    // The providers' modules are lazy inside the bundle, so loading the file alone leaves zod and the
    // Fly client unloaded; preload must run each listed provider's initialiser.
    const loaded = (after: string) =>
      node(`${loader} ${after} console.log(JSON.stringify(Object.keys(require.cache).filter((m) => /[\\\\/]zod[\\\\/]/.test(m)).length > 0))`);
    expect(loaded(`b.preload; require("./dist/providers.js");`)).toBe("false");
    expect(loaded("b.preload(process.cwd());")).toBe("true");
    const listed = node(`${loader} b.preload(process.cwd()); console.log(JSON.stringify(require("./dist/providers.js").preload))`);
    expect(JSON.parse(listed)).toEqual(["appProvider", "volumeProvider", "secretsProvider", "ipProvider", "machineProvider", "guardProvider"]);
  });
});

describe("the deployment check bundle", () => {
  const check = (env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ["components/deployment-check/main.mjs"], { cwd: root, encoding: "utf8", env: { ...process.env, TEXTSLASH_DEPLOYMENT_CHECK: "skip", ...env } });

  it("is built by the check's first run, holds only the parts of zod it uses, and is rebuilt after an edit", async () => {
    await rm(path.join(root, "dist", "deployment-check.mjs"), { force: true });
    expect(node(`${loader} console.log(b.staleness(process.cwd(), "deployment-check"))`)).toMatch(/dist\/deployment-check\.(mjs|sources\.json) (is missing|has not been built)/);
    const first = check();
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("deployment check skipped");
    const bundle = await readFile(path.join(root, "dist", "deployment-check.mjs"), "utf8");
    // esbuild names each bundled file in a comment: one locale (en, zod's default) of its 64.
    // (The copy's node_modules is a link to the checkout's, so the names may lead elsewhere.)
    const locales = [...bundle.matchAll(/^\/\/ \S*node_modules\/zod\/v4\/locales\/(\S+)\.js$/gm)].map((m) => m[1]);
    expect(locales).toEqual(["en"]);
    // A bad setting still fails with the variable named: zod's checks made it into the bundle.
    expect(check({ TEXTSLASH_DEPLOYMENT_CHECK: "sometimes" }).stderr).toContain('TEXTSLASH_DEPLOYMENT_CHECK must be unset or "skip" (got "sometimes")');

    const source = path.join(root, "components", "deployment-check", "check.mjs");
    await writeFile(source, (await readFile(source, "utf8")).replace("deployment check skipped", "deployment check skipped, edited"));
    expect(node(`${loader} console.log(b.staleness(process.cwd(), "deployment-check"))`)).toBe("components/deployment-check/check.mjs changed");
    expect(check().stdout).toContain("deployment check skipped, edited");
  });
});
