// The command stand-in's local.Command against pulumi-command v1.2.1's local provider and
// pulumi-go-provider v1.3.0's default diff: what runs when, with which environment, and what a
// failure says.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostContext } from "../host/types";
import { isSecret, reveal, secret, UNKNOWN } from "../host/values";
import { checkCommand, diffCommand, localCommand, runCommand } from "./local-command";

const logged: string[] = [];
const ctx: HostContext = { log: (_s, _u, m) => logged.push(m) };
const urn = "urn:pulumi:test::proj::command:local:Command::smoke";

describe("local.Command stand-in", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "command-standin-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("runs create under /bin/sh -c in dir with environment and stdin, trimming one newline", async () => {
    const r = await localCommand.create({ urn, inputs: { create: 'printf "%s %s\\n" "$GREETING" "$(pwd)"; cat; echo oops >&2', environment: { GREETING: "hi" }, dir, stdin: "in" }, preview: false }, ctx);
    expect(r.id).toMatch(/^smoke[0-9a-f]{8}$/);
    expect(r.outputs).toMatchObject({ stdout: `hi ${dir}\nin`, stderr: "oops", create: expect.any(String) });
    expect(logged).toContain(`hi ${dir}`);
  });

  it("runs nothing during preview; stdout and stderr are unknown", async () => {
    const r = await localCommand.create({ urn, inputs: { create: `touch ${dir}/ran` }, preview: true }, ctx);
    expect(r.outputs).toMatchObject({ stdout: UNKNOWN, stderr: UNKNOWN });
    await expect(import("node:fs/promises").then((fs) => fs.stat(`${dir}/ran`))).rejects.toThrow();
  });

  it("update runs `update` (else `create`) with the previous output in PULUMI_COMMAND_STDOUT", async () => {
    const old = { create: "echo first", stdout: "first", stderr: "" };
    const upd = await localCommand.update!({ urn, id: "x", oldInputs: { create: "echo first" }, oldOutputs: old, news: { create: "echo first", update: 'echo "was $PULUMI_COMMAND_STDOUT"' }, preview: false }, ctx);
    expect(upd.outputs.stdout).toBe("was first");
    const viaCreate = await localCommand.update!({ urn, id: "x", oldInputs: { create: "echo first" }, oldOutputs: old, news: { create: "echo second" }, preview: false }, ctx);
    expect(viaCreate.outputs.stdout).toBe("second");
    const noEnv = await runCommand('echo "[$PULUMI_COMMAND_STDOUT]"', { addPreviousOutputInEnv: false }, { stdout: "first", stderr: "" }, () => undefined);
    expect(noEnv.stdout).toBe("[]");
  });

  it("delete runs `delete` with the last output; without one it does nothing", async () => {
    await localCommand.delete!({ urn, id: "x", oldInputs: {}, outputs: { delete: `echo "$PULUMI_COMMAND_STDOUT" > ${dir}/deleted`, stdout: "bye", stderr: "" } }, ctx);
    const fs = await import("node:fs/promises");
    expect(await fs.readFile(`${dir}/deleted`, "utf8")).toBe("bye\n");
    await expect(localCommand.delete!({ urn, id: "x", oldInputs: {}, outputs: { create: "true", stdout: "", stderr: "" } }, ctx)).resolves.toBeUndefined();
  });

  it("a failing command fails with its status, the command and its output", async () => {
    await expect(runCommand("echo out; echo err >&2; exit 3", {}, undefined, () => undefined)).rejects.toThrow('exit status 3: running "echo out; echo err >&2; exit 3":\nout\nerr\n');
  });

  it("outputs are secret when an input is", async () => {
    const r = await localCommand.create({ urn, inputs: { create: "echo $T", environment: { T: secret("s3cret") } }, preview: false }, ctx);
    expect(isSecret(r.outputs.stdout)).toBe(true);
    expect(reveal(r.outputs.stdout)).toBe("s3cret");
  });

  it("diff: triggers replace, other inputs update, outputs are ignored", () => {
    expect(diffCommand({ create: "a", triggers: ["1"] }, { create: "a", triggers: ["1"] })).toEqual({ changes: false, replaces: [], detailedDiff: {} });
    expect(diffCommand({ create: "a", triggers: ["1"] }, { create: "a", triggers: ["2"] })).toEqual({ changes: true, replaces: ["triggers"], detailedDiff: { triggers: "update-replace" } });
    expect(diffCommand({ create: "a" }, { create: "b", environment: { X: "1" } })).toEqual({ changes: true, replaces: [], detailedDiff: { create: "update", environment: "add" } });
    expect(diffCommand({ create: "a", stdout: "x" } as never, { create: "a" })).toMatchObject({ changes: false });
  });

  it("check refuses what the stand-in does not implement", () => {
    expect(checkCommand({ create: "x", assetPaths: ["*.txt"] })).toEqual([{ property: "assetPaths", reason: "assetPaths is not implemented by the command stand-in (sandbox/plugins/command)" }]);
    expect(checkCommand({ logging: "loud" })).toEqual([{ property: "logging", reason: "logging must be one of stdout, stderr, stdoutAndStderr, none" }]);
  });
});
