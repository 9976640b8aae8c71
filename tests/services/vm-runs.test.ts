// One Claude run on its own (runClaude with the fake claude): what a stop, a timeout or an abort
// leaves behind.
import { afterEach, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, fakeClaudeBin, tempDir } from "./harness";
import { runClaude } from "../../services/vm/src/claude";

afterEach(cleanup);

async function calls(stateDir: string): Promise<{ pid: number }[]> {
  const text = await readFile(join(stateDir, "calls.jsonl"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { pid: number });
}

describe("a claude run", () => {
  it("is not started at all when the VM began shutting down before it could start", async () => {
    const state = await tempDir("claude-run");
    const outcome = await runClaude({
      bin: fakeClaudeBin,
      prompt: "hello",
      systemPrompt: "",
      cwd: state,
      env: { PATH: process.env.PATH ?? "", FAKE_CLAUDE_STATE_DIR: state },
      timeoutSeconds: 60,
      signal: AbortSignal.abort("shutdown"),
    });
    expect(outcome).toEqual({ kind: "error", message: "stopped: the VM is shutting down" });
    expect(await calls(state)).toEqual([]);
  });
});
