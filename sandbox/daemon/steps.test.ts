import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../testing/wait-for";
import { runLogged, runStep, StepTimeout, type Step } from "./steps";
import { pidAlive } from "./state";

// sandbox:up's steps: named with what they do and how long they usually take, stopped when they run
// out of time (with what they started), and a failing command shows its last lines, not all of them.
const dir = mkdtempSync(path.join(os.tmpdir(), "textslash-steps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const step = (timeoutMs: number): Step => ({ name: "toolchain", doing: "building the pulumi CLI", usually: "10-30 min", timeoutMs, whenSlow: "Run `npm run toolchain` alone." });

describe("sandbox:up steps", () => {
  it("announces a step and its time", async () => {
    const said: string[] = [];
    expect(await runStep(step(60_000), async () => 42, (l) => said.push(l))).toBe(42);
    expect(said[0]).toBe("▶ toolchain: building the pulumi CLI (usually 10-30 min)");
    expect(said[1]).toMatch(/^✔ toolchain: done in \d+s$/);
  });

  it("stops a step that runs out of time, with what it started, and says which step and what to do", async () => {
    const pidFile = path.join(dir, "grandchild.pid");
    const error = await runStep(step(1_000), (signal) =>
      runLogged("bash", ["-c", `sleep 300 & echo $! > ${pidFile}; wait`], { cwd: dir, logFile: path.join(dir, "slow.log"), signal }), () => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepTimeout);
    expect((error as Error).message).toBe('step "toolchain" (building the pulumi CLI) did not finish within 1s (usually 10-30 min) and was stopped. Run `npm run toolchain` alone.');
    const { readFileSync } = await import("node:fs");
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    await waitFor("the step's process group to be gone", () => !pidAlive(grandchild), 30_000);
  });

  it("a failing command shows its last lines and where the rest is", async () => {
    const logFile = path.join(dir, "fail.log");
    const script = "for i in $(seq 1 190); do echo \"go: downloading example.com/m$i v1.0.0\" >&2; done; echo 'build failed: out of disk' >&2; exit 3";
    const error = (await runLogged("bash", ["-c", script], { cwd: dir, logFile, signal: new AbortController().signal }).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("failed (exit 3)");
    expect(error.message).toContain("  | build failed: out of disk");
    expect(error.message).toContain(`the whole output is in ${logFile}`);
    expect(error.message.split("go: downloading")).toHaveLength(15);
  });
});
