// Answers go back through the relay's token-checked callback; retried briefly in case the relay is
// mid-deploy. Sleeps only while an answer is waiting, so an idle VM runs no timers.
import { setTimeout as sleep } from "node:timers/promises";

export interface Reply {
  to: string;
  text: string;
  images: { contentType: string; dataBase64: string }[];
}

export interface RelayClient {
  send(reply: Reply): Promise<void>;
}

export function createRelayClient(baseUrl: string, token: string, attempts = 5, initialDelayMs = 1_000): RelayClient {
  return {
    async send(reply) {
      let lastError = "";
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const response = await fetch(`${baseUrl}/callback`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify(reply),
            signal: AbortSignal.timeout(60_000),
          });
          const body = await response.text();
          if (response.ok) return;
          lastError = `relay answered ${response.status}: ${body.slice(0, 300)}`;
          // 4xx means this reply will never be accepted (bad token, bad body): do not hammer.
          if (response.status >= 400 && response.status < 500) break;
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
        }
        if (attempt < attempts) await sleep(initialDelayMs * 2 ** (attempt - 1));
      }
      throw new Error(`could not deliver the answer to ${baseUrl}/callback: ${lastError}`);
    },
  };
}
