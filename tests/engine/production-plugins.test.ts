// Production never loads a stand-in: a user's `pulumi preview` of this program, in a PULUMI_HOME
// where nothing was installed, asks the engine for the REAL random, command and docker plugins at
// exactly the versions package.json pins. Automatic plugin acquisition is off only so that the
// request shows as an error instead of a download (a user has it on, and the CLI then downloads
// exactly the plugin the error names). The stand-ins exist only where sandbox/plugins/install.ts
// puts them: a test's or the sandbox's own PULUMI_HOME.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standInNames } from "../../sandbox/plugins/versions";
import { fakeAccountSid, fakeSecrets, programFiles } from "./fly-stack";
import { createEngineProject, repoRoot, type EngineProject } from "./harness";

const pins = async (): Promise<Record<string, string>> => {
  const pkg = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  return Object.fromEntries(standInNames.map((n) => [n, pkg.dependencies[`@pulumi/${n}`]!]));
};

describe("a user's pulumi asks for the real plugins", () => {
  let project: EngineProject;

  beforeAll(async () => {
    project = await createEngineProject({
      copyFromRepo: programFiles,
      stackName: "user",
      standIns: false,
      // Nothing may be called: the run stops before any resource is created.
      env: { FLY_API_URL: "http://127.0.0.1:9", FLY_API_TOKEN: "fake-fly-token" },
    });
    // A valid config (an invalid one stops the program before it registers any resource).
    await project.stack.setAllConfig({
      "textslash:prefix": { value: "user" },
      "textslash:twilioAccountSid": { value: fakeAccountSid },
      "textslash:twilioAuthToken": { value: fakeSecrets.twilioAuthToken, secret: true },
      "textslash:twilioWhatsappNumber": { value: "+14155238886" },
      "textslash:allowedPhoneNumbers": { value: "+15550000001" },
      "textslash:anthropicApiKey": { value: fakeSecrets.anthropicApiKey, secret: true },
    });
  });

  afterAll(async () => {
    await project?.cleanup();
  });

  it("package.json pins each package exactly, and the installed SDK asks for that version", async () => {
    for (const [name, pin] of Object.entries(await pins())) {
      expect(pin, name).toMatch(/^\d+\.\d+\.\d+$/);
      const manifest = JSON.parse(await readFile(join(repoRoot, "node_modules", "@pulumi", name, "package.json"), "utf8")) as { version: string };
      expect(manifest.version, name).toBe(pin);
    }
  }, 300_000);

  it("the language host lists random, command and docker at the pinned versions as the project's plugins", async () => {
    const about = await project.cli(["about", "--json"]);
    const plugins = (JSON.parse(about.stdout) as { plugins: { name: string; version: string; kind: string }[] }).plugins;
    for (const [name, pin] of Object.entries(await pins())) {
      expect(plugins, name).toContainEqual({ name, version: pin, kind: "resource" });
    }
  }, 300_000);

  it("preview fails asking for a real plugin at its pinned version, with nothing installed", async () => {
    const result = await project.cli(["preview"]);
    const out = result.stdout + result.stderr;
    expect(result.code).not.toBe(0);
    // The engine stops at the first plugin it cannot find; which of the three it asks for first
    // depends on the order the program's registrations reach it, so any of them may be named.
    const asked = [...out.matchAll(/no resource plugin 'pulumi-resource-(\w+)' found in the workspace at version v([\d.]+)/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(asked.length, out).toBeGreaterThan(0);
    const expected = await pins();
    for (const [name, version] of asked) expect(version, name).toBe(expected[name]);
    expect(out).not.toContain("sandbox/plugins");
    expect(await readdir(join(project.env.PULUMI_HOME!, "plugins")).catch(() => [])).toEqual([]);
  }, 300_000);
});
