// command.local.Command (token command:local:Command) as @pulumi/command 1.2.1 serves it, following
// pulumi/pulumi-command v1.2.1 provider/pkg/provider/local (commandController.go, commandOutputs.go,
// base.go) and pulumi-go-provider v1.3.0 infer/resource.go (the default Diff and the secret and
// computed marking of outputs):
// - create runs `create` (nothing during preview); update runs `update`, else `create`; delete runs
//   `delete`; a missing command is a no-op. Commands run under `interpreter` (default
//   ["/bin/sh", "-c"]) in `dir` (default: the provider's working directory, the project root),
//   with the provider's environment plus `environment`, `stdin` on standard input, and, when
//   addPreviousOutputInEnv is not false, the previous stdout/stderr as PULUMI_COMMAND_STDOUT /
//   PULUMI_COMMAND_STDERR (update and delete only: a create starts with none).
// - A non-zero exit fails the step with "<exit status>: running "<command>":\n<stdout+stderr>".
// - stdout/stderr are captured with one trailing newline trimmed, and logged line by line to the
//   engine unless `logging` says otherwise.
// - Diff compares old and new inputs: a change to `triggers` replaces (the SDK also sets
//   replaceOnChanges: ["triggers[*]"]), any other change updates.
// - Outputs are the inputs plus stdout/stderr; those are secret when any input holds a secret,
//   and unknown during a preview of a create or of an update that changes an input.
// Not implemented (the program uses neither): assetPaths and archivePaths; check refuses them.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { CheckFailure, DiffKind, DiffResult, ResourceHandler } from "../host/types";
import { containsSecret, containsUnknown, reveal, sameValue, secret, UNKNOWN, type PropertyMap, type Value } from "../host/values";

export const LOCAL_COMMAND = "command:local:Command";

export const inputKeys = ["triggers", "create", "update", "delete", "stdin", "logging", "interpreter", "dir", "environment", "assetPaths", "archivePaths", "addPreviousOutputInEnv"] as const;
const loggingValues = ["stdout", "stderr", "stdoutAndStderr", "none"];

export function checkCommand(news: PropertyMap): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const v = reveal(news) as Record<string, Value>;
  for (const key of ["create", "update", "delete", "stdin", "dir"] as const) {
    if (v[key] !== undefined && v[key] !== null && !containsUnknown(v[key]) && typeof v[key] !== "string") failures.push({ property: key, reason: `${key} must be a string` });
  }
  if (v.logging !== undefined && v.logging !== null && !containsUnknown(v.logging) && !loggingValues.includes(v.logging as string)) {
    failures.push({ property: "logging", reason: `logging must be one of ${loggingValues.join(", ")}` });
  }
  for (const key of ["assetPaths", "archivePaths"] as const) {
    if (v[key] !== undefined && v[key] !== null) failures.push({ property: key, reason: `${key} is not implemented by the command stand-in (sandbox/plugins/command)` });
  }
  return failures;
}

const inputsOf = (m: PropertyMap): PropertyMap => Object.fromEntries(inputKeys.filter((k) => m[k] !== undefined && m[k] !== null).map((k) => [k, m[k]!]));

export function diffCommand(oldInputs: PropertyMap, news: PropertyMap): DiffResult {
  const olds = inputsOf(oldInputs);
  const now = inputsOf(news);
  const detailedDiff: Record<string, DiffKind> = {};
  for (const key of new Set([...Object.keys(olds), ...Object.keys(now)])) {
    if (sameValue(olds[key], now[key])) continue;
    const kind: DiffKind = !(key in olds) ? "add" : !(key in now) ? "delete" : "update";
    detailedDiff[key] = key === "triggers" ? `${kind}-replace` : kind;
  }
  const keys = Object.keys(detailedDiff);
  return { changes: keys.length > 0, replaces: keys.filter((k) => detailedDiff[k]!.endsWith("replace")), detailedDiff };
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** commandOutputs.go run(): one command under the interpreter, output captured and logged. */
export async function runCommand(command: string, inputs: PropertyMap, previous: RunResult | undefined, log: (line: string) => void): Promise<RunResult> {
  const v = reveal(inputs) as Record<string, Value>;
  const interpreter = Array.isArray(v.interpreter) && v.interpreter.length > 0 ? (v.interpreter as string[]) : ["/bin/sh", "-c"];
  const env: NodeJS.ProcessEnv = { ...process.env, ...((v.environment as Record<string, string> | undefined) ?? {}) };
  if (v.addPreviousOutputInEnv !== false && previous) {
    if (previous.stdout !== "") env.PULUMI_COMMAND_STDOUT = previous.stdout;
    if (previous.stderr !== "") env.PULUMI_COMMAND_STDERR = previous.stderr;
  }
  const logging = (v.logging as string | undefined) ?? "stdoutAndStderr";
  // Like exec.Cmd: standard input is the null device unless `stdin` is a non-empty string.
  const stdin = typeof v.stdin === "string" && v.stdin.length > 0 ? v.stdin : undefined;
  const child = spawn(interpreter[0]!, [...interpreter.slice(1), command], {
    cwd: (v.dir as string | undefined) ?? process.cwd(),
    env,
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let both = "";
  const lines = (stream: "stdout" | "stderr") => {
    let partial = "";
    return (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (stream === "stdout") stdout += text;
      else stderr += text;
      both += text;
      if (logging !== "stdoutAndStderr" && logging !== stream) return;
      partial += text;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) log(line);
    };
  };
  child.stdout!.on("data", lines("stdout"));
  child.stderr!.on("data", lines("stderr"));
  if (stdin !== undefined) {
    child.stdin!.on("error", () => undefined); // a command that exits without reading it
    child.stdin!.end(stdin);
  }
  const status = await new Promise<string | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve(code === 0 ? null : signal ? `signal: ${signal}` : `exit status ${code}`));
  });
  if (status) throw new Error(`${status}: running ${JSON.stringify(command)}:\n${both}`);
  return { stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") };
}

/** Outputs of a run: inputs plus stdout/stderr, secret when any input is (infer's default wiring). */
export function outputsOf(inputs: PropertyMap, run: RunResult | "unknown"): PropertyMap {
  const mark = (s: string): Value => (containsSecret(inputs) ? secret(s) : s);
  return {
    ...inputsOf(inputs),
    stdout: run === "unknown" ? UNKNOWN : mark(run.stdout),
    stderr: run === "unknown" ? UNKNOWN : mark(run.stderr),
  };
}

const previousOf = (outputs: PropertyMap): RunResult => ({
  stdout: (reveal(outputs.stdout) as string | undefined) ?? "",
  stderr: (reveal(outputs.stderr) as string | undefined) ?? "",
});

export const localCommand: ResourceHandler = {
  async check({ news }) {
    return { inputs: news, failures: checkCommand(news) };
  },
  async diff({ oldInputs, oldOutputs, news }) {
    // Without old inputs (an engine that does not send them) infer reads them from the state.
    return diffCommand(Object.keys(oldInputs).length > 0 ? oldInputs : oldOutputs, news);
  },
  async create({ urn, inputs, preview }, ctx) {
    const id = `${urn.split("::").pop() ?? "command"}${randomBytes(4).toString("hex")}`;
    if (preview) return { id, outputs: outputsOf(inputs, "unknown") };
    const create = reveal(inputs.create) as string | undefined;
    const run = create ? await runCommand(create, inputs, undefined, (l) => ctx.log("info", urn, l)) : { stdout: "", stderr: "" };
    return { id, outputs: outputsOf(inputs, run) };
  },
  async update({ urn, oldInputs, oldOutputs, news, preview }, ctx) {
    const previous = previousOf(oldOutputs);
    if (preview) return { outputs: outputsOf(news, diffCommand(oldInputs, news).changes ? "unknown" : previous) };
    const command = (reveal(news.update) ?? reveal(news.create)) as string | undefined;
    const run = command ? await runCommand(command, news, previous, (l) => ctx.log("info", urn, l)) : previous;
    return { outputs: outputsOf(news, run) };
  },
  async delete({ urn, outputs }, ctx) {
    const del = reveal(outputs.delete) as string | undefined;
    if (del) await runCommand(del, outputs, previousOf(outputs), (l) => ctx.log("info", urn, l));
  },
};
