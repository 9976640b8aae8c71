// A machine's HTTP checks, probed for real on the port its service listens on (a local process's
// or a container's on the host network). Shared by both runtimes.
import type { CheckResult, MachineSpec } from "./spec";

export function probeChecks(spec: MachineSpec, port: number): Promise<CheckResult[]> {
  return Promise.all(spec.checks.map(async (check): Promise<CheckResult> => {
    const updatedAt = new Date().toISOString();
    try {
      const res = await fetch(`http://127.0.0.1:${port}${check.path}`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return { name: check.name, status: res.ok ? "passing" : "critical", output: `HTTP ${res.status}`, updatedAt };
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
