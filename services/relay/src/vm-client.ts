// The relay's two calls to the VM (docs/services.md): POST /tasks hands over one message, and
// POST /cancel asks it to drop a sender's queued work and stop the running one.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { z } from "zod";

/** The VM refused this message for good (400/413/422): retrying will not help. */
export class TaskRefusedError extends Error {
  constructor(readonly status: number) {
    super(`VM answered ${status}`);
  }
}

export interface TaskBody {
  id: string;
  from: string;
  text: string;
  media: { contentType: string; dataBase64: string }[];
  receivedAt: string;
}

// node:http with a keep-alive agent rather than fetch: a task is handed over per message, and undici's
// fetch costs several times the CPU of a plain request (relay-load benchmark, docs/relay-benchmarks.md).
// No socket limit: every task the VM holds keeps its response (and so its socket) open until it ends.
const agents = { "http:": new HttpAgent({ keepAlive: true }), "https:": new HttpsAgent({ keepAlive: true }) };

/**
 * What the VM said to a task it took (2xx): queued, or taken but not queued (200 accepted:false,
 * docs/services.md: the sender's queue on the VM is full; the VM tells the sender itself).
 */
export interface TaskAnswer {
  queued: boolean;
  reason?: string;
}

const vmAnswer = z.object({ accepted: z.boolean(), reason: z.string().optional() });

export function postTask(vmUrl: string, token: string, task: TaskBody, signal: AbortSignal): Promise<TaskAnswer> {
  const url = new URL(`${vmUrl}/tasks`);
  const body = JSON.stringify(task);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: "POST",
        agent: url.protocol === "https:" ? agents["https:"] : agents["http:"],
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        signal,
      },
      (res) => {
        clearTimeout(ackTimer);
        const status = res.statusCode ?? 0;
        // The VM keeps an accepted task's response open until the task ends, so Fly Proxy does not
        // auto-stop it mid-run. Read it to the end in the background; the status was the acknowledgement.
        res.on("error", () => undefined);
        if (status === 200) return readAnswer(res).then(resolve);
        res.resume();
        if (status >= 200 && status < 300) return resolve({ queued: true });
        // 400/413/422: this message will never be accepted; other statuses (401 while a token rolls,
        // 5xx, Fly proxy 502/503 while the machine boots) may pass on a later try.
        if ([400, 413, 422].includes(status)) return reject(new TaskRefusedError(status));
        reject(new Error(`VM answered ${status}`));
      },
    );
    // 30 s for the VM to acknowledge (answer with a status); the body after that is not bounded.
    const ackTimer = setTimeout(() => req.destroy(new Error("VM did not acknowledge within 30 s")), 30_000);
    req.on("error", (err) => {
      clearTimeout(ackTimer);
      reject(err);
    });
    req.end(body);
  });
}

/**
 * A 200 is a complete, small JSON answer (202 is the one held open). The status was the
 * acknowledgement, so an answer that cannot be read counts as queued: the message is not sent twice.
 */
function readAnswer(res: IncomingMessage): Promise<TaskAnswer> {
  return new Promise((resolve) => {
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      text += chunk;
      if (text.length > 64 * 1024) res.destroy();
    });
    res.on("close", () => {
      let parsed: ReturnType<typeof vmAnswer.safeParse> | undefined;
      try {
        parsed = vmAnswer.safeParse(JSON.parse(text));
      } catch {
        parsed = undefined;
      }
      resolve(parsed?.success && !parsed.data.accepted ? { queued: false, ...(parsed.data.reason ? { reason: parsed.data.reason } : {}) } : { queued: true });
    });
  });
}

const cancelAnswer = z.object({ cancelledQueued: z.number().int().min(0), stoppedRunning: z.boolean() });
export type CancelAnswer = z.infer<typeof cancelAnswer>;

/**
 * Asks the VM to cancel a sender's work; it tells the user itself. A sleeping VM is woken by Fly
 * Proxy on this request, so a few attempts ride out a cold start; then the error is the caller's.
 */
export async function cancelOnVm(vmUrl: string, token: string, from: string, attempts = 3, delayMs = 2_000): Promise<CancelAnswer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(`${vmUrl}/cancel`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ from }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (response.ok) return cancelAnswer.parse(JSON.parse(text));
      lastError = new Error(`VM answered ${response.status}`);
      // A VM without /cancel (404) or refusing it will not change its mind on a retry.
      if (response.status >= 400 && response.status < 500) break;
    } catch (err) {
      lastError = err;
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, delayMs * attempt));
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
