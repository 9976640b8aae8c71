// `pulumi new` from this repository's template (Pulumi.yaml's `template:` section), with the pinned
// CLI, offline, the prompts answered with fake values: the new stack's config must hold every key
// config.ts requires, no key it does not read, secrets encrypted, and pass config.ts's validation.
//
// How it runs without a terminal or a network: the CLI reads prompt answers from stdin when stdin is
// not a terminal, and PULUMI_TEST_INTERACTIVE=true (pkg/cmd/pulumi/project/newcmd/new.go, isInteractive,
// "force interactive mode for testing") makes it prompt instead of refusing without --yes (with --yes
// a secret could only be passed with -c, which stores it in plain text). `--offline` keeps it to the
// local template. `pulumi new` ends with `npm install` (through the language host) and with installing
// the plugins the dependencies name: an `npm` first on PATH links this checkout's node_modules (the
// same lockfile) instead of fetching, and the stand-in plugins are installed in its PULUMI_HOME, so
// nothing is downloaded; an attempt would fail the run (get.pulumi.com is unreachable here).
import { spawn } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import * as automation from "@pulumi/pulumi/automation";
import { knownKeys, parseSettings, requiredKeys, secretKeys, type SecretKey } from "../../config";
import { installStandIns } from "../../sandbox/plugins/install";
import { fakeAccountSid, fakeSecrets, flyToken, programFiles } from "./fly-stack";
import { pulumiBinDir, repoRoot, testPassphrase } from "./harness";

/** A fake answer for each key the template may ask; "" accepts the template's default. */
const answers: Record<string, string> = {
  prefix: "tmplcheck",
  org: "",
  region: "",
  flyApiToken: flyToken,
  twilioAccountSid: fakeAccountSid,
  twilioAuthToken: fakeSecrets.twilioAuthToken,
  twilioWhatsappNumber: "",
  allowedPhoneNumbers: "+15550000001",
  anthropicApiKey: fakeSecrets.anthropicApiKey,
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir = "";
let project = "";
let env: Record<string, string> = {};
let asked: string[] = [];
/** The template's default of each key it asks for (undefined: none). */
let defaults: Record<string, string | undefined> = {};
let run: Run;

/** Runs the CLI with `input` on stdin; resolves when it exits (killed after 5 minutes). */
function pulumi(binDir: string, args: string[], input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(binDir, "pulumi"), args, { cwd: project, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

beforeAll(async () => {
  const binDir = await pulumiBinDir();
  dir = await mkdtemp(join(tmpdir(), "textslash-template-"));
  const template = join(dir, "template");
  project = join(dir, "project");
  const home = join(dir, "pulumi-home");
  const shim = join(dir, "npm-shim");
  await Promise.all([mkdir(template), mkdir(project), mkdir(home), mkdir(shim), mkdir(join(dir, "backend"))]);
  // What a clone of the repository gives `pulumi new` (the program; services/ and tests/ change nothing here).
  for (const path of [...programFiles, "package-lock.json"]) await cp(join(repoRoot, path), join(template, path), { recursive: true });
  await installStandIns({ pulumiHome: home, pulumiBinDir: binDir });
  await writeFile(
    join(shim, "npm"),
    `#!/bin/sh\n# npm install, from this checkout's node_modules (same lockfile), recorded.\necho "$*" >> "${join(dir, "npm-calls")}"\nln -s "${join(repoRoot, "node_modules")}" node_modules\n`,
  );
  await chmod(join(shim, "npm"), 0o755);
  env = {
    PATH: `${shim}:${binDir}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${join(dir, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE: testPassphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_TEST_INTERACTIVE: "true",
  };

  // The CLI asks for the template's keys sorted by name (newcmd/config.go, resolveTemplateConfig).
  const declared = parse(await readFile(join(repoRoot, "Pulumi.yaml"), "utf8")) as { template: { config: Record<string, { default?: string }> } };
  asked = Object.keys(declared.template.config).map((k) => k.replace(/^textslash:/, "")).sort();
  defaults = Object.fromEntries(Object.entries(declared.template.config).map(([k, v]) => [k.replace(/^textslash:/, ""), v.default]));
  const missing = asked.filter((k) => !(k in answers));
  if (missing.length > 0) throw new Error(`the template asks for ${missing.join(", ")}, which this test has no fake value for (and config.ts may not read)`);
  const input = asked.map((k) => `${answers[k]}\n`).join("");
  run = await pulumi(binDir, ["new", template, "--name", "textslash", "--stack", "dev", "--description", "textslash", "--offline"], input);
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("pulumi new from the template", () => {
  it("runs offline: asks each template key once, in order, installs from the lockfile, downloads nothing", async () => {
    const out = `${run.stdout}\n${run.stderr}`;
    expect(run.code, out).toBe(0);
    let from = 0;
    for (const key of asked) {
      const at = run.stdout.indexOf(`(${key})`, from);
      expect(at, `prompt for ${key}:\n${out}`).toBeGreaterThanOrEqual(from);
      from = at;
    }
    expect(out).not.toMatch(/download/i);
    expect((await readFile(join(dir, "npm-calls"), "utf8")).trim().split("\n")).toEqual(["install --no-audit --no-fund"]);
    expect(run.stdout).toContain("pulumi stack output nextSteps"); // the template's quickstart
  });

  it("writes a project without the template section, and a stack config with exactly the asked keys", async () => {
    const projectFile = parse(await readFile(join(project, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    expect(projectFile["name"]).toBe("textslash");
    expect(projectFile["template"]).toBeUndefined();

    const stackFile = parse(await readFile(join(project, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const saved = Object.keys(stackFile.config).map((k) => k.replace(/^textslash:/, ""));
    expect(Object.keys(stackFile.config).every((k) => k.startsWith("textslash:"))).toBe(true);
    // No stale key: config.ts reads every one. No missing key: every required one is asked for.
    expect(saved.filter((k) => !knownKeys.includes(k)), "keys config.ts does not read").toEqual([]);
    expect(requiredKeys.filter((k) => !saved.includes(k)), "required keys the template does not ask for").toEqual([]);
    // Each asked key is saved with its answer or, answered "", the template's default.
    expect(saved.sort()).toEqual(asked.filter((k) => answers[k] !== "" || defaults[k] !== undefined).sort());
    // Secrets (config.ts reads them with getSecret) are stored encrypted; nothing else is.
    for (const key of saved) {
      const secure = typeof stackFile.config[`textslash:${key}`] === "object";
      expect(secure, `textslash:${key} stored ${secure ? "encrypted" : "in plain text"}`).toBe(secretKeys.includes(key as SecretKey));
    }
    const raw = await readFile(join(project, "Pulumi.dev.yaml"), "utf8");
    expect([...Object.values(fakeSecrets), flyToken].filter((s) => raw.includes(s))).toEqual([]);
  });

  it("its values, decrypted, pass config.ts's validation as `up` would run it", async () => {
    const stack = await automation.LocalWorkspace.selectStack(
      { stackName: "dev", workDir: project },
      { envVars: env, pulumiHome: env["PULUMI_HOME"], pulumiCommand: await automation.PulumiCommand.get({ root: join(await pulumiBinDir(), ".."), skipVersionCheck: true }) },
    );
    const all = await stack.getAllConfig();
    expect(all["textslash:twilioAuthToken"]).toEqual({ value: fakeSecrets.twilioAuthToken, secret: true });
    // What the stack file holds (Pulumi.yaml's own defaults are "", which config.ts reads as unset).
    const stackFile = parse(await readFile(join(project, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const saved = Object.keys(stackFile.config).map((k) => k.replace(/^textslash:/, ""));
    const raw: Record<string, string> = {};
    const present: Partial<Record<SecretKey, boolean>> = {};
    for (const name of saved) {
      const value = all[`textslash:${name}`]?.value ?? "";
      if (secretKeys.includes(name as SecretKey)) present[name as SecretKey] = value !== "";
      else raw[name] = value;
    }
    // As loadStackConfig calls it for this stack; it throws a ConfigError listing every problem.
    const settings = parseSettings(raw, present, "dev", [], saved);
    expect(settings).toMatchObject({ prefix: "tmplcheck", org: "personal", region: "ord", twilioWhatsappNumber: "+14155238886", allowedPhoneNumbers: "+15550000001" });
  });
});
