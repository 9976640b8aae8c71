// The Anthropic Messages API on the wire, as far as Claude Code depends on it: the request body
// (validated as strictly as the real API where Claude Code could get it wrong), the Message object,
// the server-sent events of a streamed Message, and the error bodies.
// Sources: https://docs.claude.com/en/api/messages (request/response),
// https://platform.claude.com/docs/build-with-claude/streaming (event flow: message_start, then per
// block content_block_start / content_block_delta… / content_block_stop, then message_delta with
// stop_reason and output usage, then message_stop; ping events may appear anywhere; an error may
// arrive as an `error` event after the 200), https://docs.claude.com/en/api/errors (status → type,
// `{"type":"error","error":{type,message},"request_id"}` and the `request-id` header).
import { randomBytes } from "node:crypto";
import { z } from "zod";

const contentBlock = z.looseObject({ type: z.string().min(1) });
export const messageParamSchema = z.object({
  // Claude Code also sends `system` turns inside `messages` (beta per-turn-control); kept as given.
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(contentBlock)]),
});
export type MessageParam = z.infer<typeof messageParamSchema>;

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(messageParamSchema).min(1),
  system: z.union([z.string(), z.array(contentBlock)]).optional(),
  tools: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
  stream: z.boolean().optional(),
});
/** POST /v1/messages/count_tokens takes the same body without max_tokens. */
export const countTokensRequestSchema = messagesRequestSchema.extend({ max_tokens: z.number().int().min(1).optional() });
/** Either request, as validated by its schema (max_tokens is there for /v1/messages). */
export type MessagesRequest = z.infer<typeof countTokensRequestSchema>;

export type OutputBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };
export type StopReason = "end_turn" | "tool_use" | "max_tokens" | "stop_sequence";

export interface Usage { input_tokens: number; output_tokens: number }

/** `msg_…`, `toolu_…`, `req_…`: the real prefixes with 24 base62-ish characters. */
export function newId(prefix: "msg" | "toolu" | "req"): string {
  return `${prefix}_01${randomBytes(18).toString("base64url").replace(/[-_]/g, "x").slice(0, 22)}`;
}

/** A rough token count (about four characters a token), enough for Claude Code's usage figures. */
export function tokensOf(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? "").length / 4));
}

export interface MessageObject {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: OutputBlock[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: Usage;
}

/** The events of one streamed Message, in the documented order. Text and tool input arrive in pieces. */
export function streamEvents(message: MessageObject): { event: string; data: unknown }[] {
  const events: { event: string; data: unknown }[] = [];
  const start = { ...message, content: [], stop_reason: null, usage: { input_tokens: message.usage.input_tokens, output_tokens: 1 } };
  events.push({ event: "message_start", data: { type: "message_start", message: start } });
  message.content.forEach((block, index) => {
    const empty = block.type === "text" ? { type: "text", text: "" } : { ...block, input: {} };
    events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: empty } });
    if (index === 0) events.push({ event: "ping", data: { type: "ping" } });
    const pieces = block.type === "text" ? chunks(block.text, 40) : chunks(JSON.stringify(block.input), 24);
    for (const piece of pieces) {
      const delta = block.type === "text" ? { type: "text_delta", text: piece } : { type: "input_json_delta", partial_json: piece };
      events.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta } });
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  });
  events.push({
    event: "message_delta",
    data: { type: "message_delta", delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: message.usage.output_tokens } },
  });
  events.push({ event: "message_stop", data: { type: "message_stop" } });
  return events;
}

function chunks(text: string, size: number): string[] {
  if (text === "") return [];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The error types of https://docs.claude.com/en/api/errors, by HTTP status. */
export const errorTypes = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
} as const;
export type ErrorStatus = keyof typeof errorTypes;

/** The messages the real API gives for these cases (as Claude Code users report them verbatim). */
export const defaultErrorMessages: Record<ErrorStatus, string> = {
  400: "Invalid request",
  401: "invalid x-api-key",
  403: "Your API key does not have permission to use the specified resource.",
  404: "Not found",
  413: "Request exceeds the maximum allowed number of bytes.",
  429: "This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
  500: "Internal server error",
  529: "Overloaded",
};

export function errorBody(status: ErrorStatus, message: string, requestId: string): unknown {
  return { type: "error", error: { type: errorTypes[status], message }, request_id: requestId };
}
