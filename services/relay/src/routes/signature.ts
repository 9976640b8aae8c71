// Twilio's request signature, checked with twilio-node's own webhooks module (only that module is
// loaded: it needs nothing but Node's crypto, url and querystring).
import type { FastifyRequest } from "fastify";
import { validateRequest } from "twilio/lib/webhooks/webhooks";
import type { RelayEnv } from "../env";

export function twilioSignatureValid(env: RelayEnv, request: FastifyRequest): boolean {
  const signature = request.headers["x-twilio-signature"];
  const params = request.body;
  if (typeof signature !== "string" || typeof params !== "object" || params === null) return false;
  // Twilio signs the URL it called, which is the public one, not what the proxy hands us.
  return validateRequest(env.TWILIO_AUTH_TOKEN, signature, `${env.PUBLIC_URL}${request.url}`, params as Record<string, unknown>);
}
