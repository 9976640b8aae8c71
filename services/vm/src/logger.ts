// Structured JSON logs (pino) with every secret-bearing field redacted.
import type { LoggerOptions } from "pino";

export const redactedPaths = [
  "req.headers.authorization",
  "headers.authorization",
  "authorization",
  "token",
  "env.RELAY_SHARED_TOKEN",
  "env.ANTHROPIC_API_KEY",
  "env.GITHUB_TOKEN",
  "*.dataBase64",
];

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: redactedPaths, censor: "[redacted]" } };
}

/** Last four digits only: enough to tell senders apart in logs, not enough to identify a person. */
export function maskNumber(address: string): string {
  return `…${address.slice(-4)}`;
}
