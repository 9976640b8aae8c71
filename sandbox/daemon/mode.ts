// Which runtime the sandbox daemon uses (SANDBOX_MODE): "container" runs the project's real images
// with podman, "process" the services' source as local processes (the fast mode, fake claude),
// "auto" (default) containers when podman is present, else processes with a note on installing it.
import { PodmanMissingError, requirePodman, installCommand } from "../images/podman";
import type { SandboxMode } from "./sandbox";

export async function sandboxMode(requested = process.env.SANDBOX_MODE ?? "auto", say: (line: string) => void = () => {}): Promise<SandboxMode> {
  if (requested === "process") return "process";
  if (requested === "container") {
    await requirePodman();
    return "container";
  }
  if (requested !== "auto") throw new Error(`SANDBOX_MODE must be auto, container or process (got '${requested}')`);
  try {
    await requirePodman();
    return "container";
  } catch (error) {
    if (!(error instanceof PodmanMissingError)) throw error;
    say(`podman is not installed: machines run as local processes (fast mode, fake claude). For the real images and Claude Code: ${installCommand}`);
    return "process";
  }
}

export function describeMode(mode: SandboxMode): string {
  return mode === "container"
    ? "containers of the images built from this checkout (podman), with the real Claude Code against a local Anthropic stand-in"
    : "local processes of the services' source (fast mode), with a fake claude";
}
