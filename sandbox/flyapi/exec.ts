// POST /v1/apps/{app}/machines/{id}/exec (OpenAPI Machines_exec): runs a command inside a started machine and
// answers flydv1.ExecResponse {exit_code, stdout, stderr} as JSON, as fly-go's flaps Exec reads it
// (flaps/flaps_machines.go; flyctl internal/command/machine/exec.go is its command line). The sandbox's machines
// run no shell a command could run in, so what the command prints comes from an ExecResponder the caller
// installs (a test playing the machine's process); without one, the command "is not found" (exit 127).
// A machine that is not started cannot run anything: 412, as for the other actions that need a started machine
// (Fly's exact answer for a stopped machine is unverified: docs/stand-ins.md).
import { z } from "zod";
import { parseBody } from "./body";
import { HttpError } from "./errors";
import type { HandlerContext, HandlerResult, Router } from "./router";
import type { ExecResponder } from "./types";

/** MachineExecRequest: `command` (argv), or the deprecated `cmd` string; `timeout` in seconds. */
const execRequestSchema = z.looseObject({
  command: z.array(z.string()).optional(),
  cmd: z.string().optional(),
  timeout: z.number().int().optional(),
  stdin: z.string().optional(),
});

export function execRoutes(router: Router, responder: () => ExecResponder | undefined): void {
  router.add("POST", "/v1/apps/:app/machines/:id/exec", (ctx: HandlerContext): HandlerResult => {
    const m = ctx.core.machine(ctx.params["app"] ?? "", ctx.params["id"] ?? "");
    const req = parseBody(execRequestSchema, ctx.body, "exec");
    const command = req.command ?? (req.cmd !== undefined ? req.cmd.split(" ").filter(Boolean) : []);
    if (command.length === 0) throw new HttpError(400, "exec: command is required (an argv array, e.g. [\"ls\", \"/data\"])");
    if (m.state !== "started") throw new HttpError(412, `failed_precondition: machine ${m.id} is ${m.state}; exec needs a started machine`);
    const answer = responder()?.({ id: m.id, app: m.app, image: String(m.config["image"] ?? "") }, command);
    if (answer === undefined) {
      return { status: 200, body: { exit_code: 127, stdout: "", stderr: `sandbox: ${command[0]}: not found (the local Fly API runs no process for exec; see docs/stand-ins.md)` } };
    }
    return { status: 200, body: { exit_code: answer.exitCode ?? 0, stdout: answer.stdout ?? "", stderr: answer.stderr ?? "" } };
  });
}
