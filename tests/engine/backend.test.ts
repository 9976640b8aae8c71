// The real pinned CLI through scripts/pulumi: after `pulumi login file://…` the stack and its
// state go to that backend, `whoami -v` names it, and nothing lands in the clone. (Logins to
// Pulumi Cloud and s3:// are covered without network by tests/tooling/pulumi-wrapper.test.ts.)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wrapperClone, type WrapperClone } from "../tooling/wrapper-clone";

let clone: WrapperClone;
let scratch: string;

beforeAll(() => {
  clone = wrapperClone();
  scratch = mkdtempSync(path.join(os.tmpdir(), "textslash-backend-"));
});
afterAll(() => {
  clone?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("scripts/pulumi with a pulumi login", () => {
  it("keeps the stack in the backend the user logged in to", () => {
    const home = path.join(scratch, "pulumi-home");
    const backend = path.join(scratch, "my-state");
    const project = path.join(scratch, "project");
    mkdirSync(backend);
    mkdirSync(project);
    writeFileSync(path.join(project, "Pulumi.yaml"), "name: textslash\nruntime: nodejs\n");
    const env: Record<string, string | undefined> = { ...process.env, PULUMI_HOME: home, PULUMI_CONFIG_PASSPHRASE: "fake-passphrase", PULUMI_SKIP_UPDATE_CHECK: "true" };
    delete env.PULUMI_BACKEND_URL;
    delete env.PULUMI_ACCESS_TOKEN;
    const pulumi = (...args: string[]) => {
      const r = spawnSync("bash", [clone.wrapper, ...args, "--non-interactive"], { cwd: project, env, encoding: "utf8", timeout: 20 * 60_000 });
      expect(r.status, `pulumi ${args.join(" ")}: ${r.stderr}`).toBe(0);
      return r.stdout + r.stderr;
    };

    pulumi("login", `file://${backend}`);
    pulumi("stack", "init", "prod");
    expect(pulumi("whoami", "-v")).toContain(`Backend URL: file://${backend}`);
    expect(readdirSync(path.join(backend, ".pulumi", "stacks", "textslash"))).toContain("prod.json");
    expect(existsSync(path.join(clone.dir, ".pulumi-state"))).toBe(false);
  }, 20 * 60_000);
});
