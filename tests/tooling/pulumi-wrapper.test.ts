// scripts/pulumi leaves the choice of state backend to the user, as a plain `pulumi` does: a
// `pulumi login` (Pulumi Cloud, file://, s3://) or PULUMI_BACKEND_URL is what the CLI gets, and
// nothing is written inside the clone. A stand-in `pulumi` on PATH (which scripts/toolchain.sh
// picks when it prints the pinned version) reports the environment the wrapper handed it, so
// the Pulumi Cloud case needs no network.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, wrapperClone, type WrapperClone } from "./wrapper-clone";

const version = (JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];
let clone: WrapperClone;
let scratch: string;
let fakeBin: string;

beforeAll(() => {
  clone = wrapperClone();
  scratch = mkdtempSync(path.join(os.tmpdir(), "textslash-wrapper-env-"));
  fakeBin = path.join(scratch, "bin");
  mkdirSync(fakeBin);
  writeFileSync(path.join(fakeBin, "pulumi"), `#!/usr/bin/env bash
if [[ "$1" == version ]]; then echo v${version}; exit 0; fi
echo "backend=\${PULUMI_BACKEND_URL-unset} args=$*"
`);
  writeFileSync(path.join(fakeBin, "pulumi-language-nodejs"), "#!/bin/sh\nexit 0\n");
  chmodSync(path.join(fakeBin, "pulumi"), 0o755);
  chmodSync(path.join(fakeBin, "pulumi-language-nodejs"), 0o755);
});
afterAll(() => {
  clone?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function runWrapper(args: string[], options: { current?: string; env?: Record<string, string> }) {
  const home = mkdtempSync(path.join(scratch, "home-"));
  if (options.current !== undefined) {
    mkdirSync(path.join(home, ".pulumi"));
    writeFileSync(path.join(home, ".pulumi", "credentials.json"),
      JSON.stringify({ current: options.current, accessTokens: { [options.current]: "pul-fake-token" } }));
  }
  const env: Record<string, string> = { PATH: `${fakeBin}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, ...options.env };
  const result = spawnSync("bash", [clone.wrapper, ...args], { cwd: scratch, env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const hint = "no Pulumi backend is chosen yet";

describe("scripts/pulumi and the user's backend", () => {
  it.each([
    { login: "Pulumi Cloud", current: "https://api.pulumi.com" },
    { login: "a local folder", current: "file:///srv/pulumi-state" },
    { login: "an S3 bucket", current: "s3://my-state-bucket" },
  ])("respects a pulumi login to $login", ({ current }) => {
    const result = runWrapper(["stack", "ls"], { current });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("backend=unset args=stack ls");
    expect(result.stderr).not.toContain(hint);
  });

  it("passes PULUMI_BACKEND_URL through unchanged", () => {
    const result = runWrapper(["up"], { env: { PULUMI_BACKEND_URL: "s3://another-bucket" } });
    expect(result.stdout.trim()).toBe("backend=s3://another-bucket args=up");
  });

  it("never chooses a backend inside the clone, and says how to log in when there is none", () => {
    const result = runWrapper(["stack", "init", "prod"], {});
    expect(result.stdout.trim()).toBe("backend=unset args=stack init prod");
    expect(result.stderr).toContain(hint);
    expect(result.stderr).toContain("pulumi login file://~/.pulumi-state");
    expect(existsSync(path.join(clone.dir, ".pulumi-state"))).toBe(false);
  });

  it("does not lecture the login command itself", () => {
    const result = runWrapper(["login", "file:///srv/pulumi-state"], {});
    expect(result.stdout.trim()).toBe("backend=unset args=login file:///srv/pulumi-state");
    expect(result.stderr).not.toContain(hint);
  });
});
