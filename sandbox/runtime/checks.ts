// A machine's HTTP checks, probed for real on the port its service listens on (a local process's
// or a container's on the host network). Shared by both runtimes.
import { probeHttp } from "./http-probe";
import type { CheckResult, MachineSpec } from "./spec";

export function probeChecks(spec: MachineSpec, port: number): Promise<CheckResult[]> {
  return Promise.all(spec.checks.map(async (check): Promise<CheckResult> => {
    const updatedAt = new Date().toISOString();
    try {
      // Fly keeps the response body as the check's output; npm run status reads the VM's /health there.
      const res = await probeHttp(port, check.path);
      const ok = res.status >= 200 && res.status < 300;
      return { name: check.name, status: ok ? "passing" : "critical", output: res.body.trim() === "" ? `HTTP ${res.status}` : res.body, updatedAt };
    } catch (error) {
      return { name: check.name, status: "critical", output: (error as Error).message, updatedAt };
    }
  }));
}

/** Polls until every check passes; throws naming the failing checks and where the logs are. */
export async function waitUntilHealthy(
  id: string, isUp: () => boolean, checks: () => Promise<CheckResult[]>, timeoutMs: number, logsHint: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: CheckResult[] = [];
  while (Date.now() < deadline) {
    if (!isUp()) throw new Error(`sandbox runtime: machine ${id} exited before its checks passed; see ${logsHint}`);
    last = await checks();
    if (last.every((c) => c.status === "passing")) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const failing = last.filter((c) => c.status !== "passing").map((c) => `${c.name}: ${c.output}`).join("; ");
  throw new Error(`sandbox runtime: machine ${id} not healthy after ${timeoutMs} ms (${failing}); see ${logsHint}`);
}
