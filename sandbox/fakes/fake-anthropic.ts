// A local stand-in for the Anthropic Messages API that the real Claude Code CLI talks to
// (ANTHROPIC_BASE_URL), scripted per test: a prompt matching a script gets that script's steps,
// one per assistant turn (step 0 answers the prompt, step 1 answers the first tool results, …);
// any other prompt gets `turn N: <first line>` where N counts the prompts of the conversation,
// so a resumed session shows that its history came back. Wire details and their sources are in
// ./anthropic/wire.ts; each behaviour, its source and the known differences from the real API are
// in docs/stand-ins.md.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readTurn, unansweredToolUse, type Turn } from "./anthropic/conversation";
import {
  countTokensRequestSchema, defaultErrorMessages, errorBody, messagesRequestSchema, newId, sse, streamEvents, tokensOf,
  type ErrorStatus, type MessageObject, type MessagesRequest, type OutputBlock,
} from "./anthropic/wire";
import { closeServer, listenOn } from "./http-server";

export type { Turn } from "./anthropic/conversation";

export type ScriptStep =
  /** The final answer of the turn. */
  | { text: string }
  /** A tool round: Claude Code runs the tools and sends their results back (the next step answers them). */
  | { tools: { name: string; input: Record<string, unknown> }[]; text?: string }
  /** An HTTP error with the real body; `times` limits it to the first N requests of this step. */
  | { error: ErrorStatus; message?: string; retryAfterSeconds?: number; times?: number }
  /** A 200 whose stream ends in an `error` event, as the real API does when it fails mid-stream. */
  | { streamError: "overloaded_error" | "api_error"; message?: string }
  /** Waits before answering (a slow model); then answers with `then`. */
  | { delayMs: number; then: ScriptStep }
  | ((turn: Turn) => ScriptStep);

export interface RecordedRequest {
  path: string;
  model?: string;
  stream: boolean;
  /** Whether the request offered tools (Claude Code's main loop does; its side requests do not). */
  withTools: boolean;
  turn?: Turn;
  status: number;
  /** What the script answered: "text", "tools: Bash, Write", "error 529", … */
  answer: string;
}

export interface FakeAnthropicOptions {
  /** The only x-api-key accepted; anything else is 401 as from the real API. */
  apiKey: string;
}

const maxBodyBytes = 32 * 1024 * 1024; // https://docs.claude.com/en/api/errors, "Request size limits"

export class FakeAnthropic {
  readonly requests: RecordedRequest[] = [];
  private readonly scripts: { match: string | RegExp; steps: ScriptStep[] }[] = [];
  private readonly hits = new Map<string, number>();
  private server: Server | undefined;
  url = "";

  constructor(private readonly options: FakeAnthropicOptions) {}

  /** Prompts containing `match` (or matching the RegExp) are answered by `steps`; later scripts win. */
  script(match: string | RegExp, steps: ScriptStep[]): void {
    this.scripts.unshift({ match, steps });
  }

  async start(port = 0, host = "127.0.0.1"): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, errorBody(500, `fake-anthropic: ${(error as Error).message}`, newId("req")));
        else res.destroy();
      });
    });
    this.server = server;
    this.url = await listenOn(server, port, host);
    return this.url;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const requestId = newId("req");
    res.setHeader("request-id", requestId);
    // Claude Code probes reachability with HEAD /api/hello before it starts.
    if (path === "/api/hello") return void res.writeHead(200).end();
    const isMessages = path === "/v1/messages" || path === "/v1/messages/count_tokens";
    if (req.method !== "POST" || !isMessages) return this.fail(res, { path, stream: false, withTools: false }, 404, `${req.method} ${path}: not found`, requestId);

    const raw = await readBody(req);
    const base = { path, stream: false, withTools: false };
    if (raw === undefined) return this.fail(res, base, 413, defaultErrorMessages[413], requestId);
    const key = req.headers["x-api-key"];
    if (key === undefined) return this.fail(res, base, 401, "x-api-key header is required", requestId);
    if (key !== this.options.apiKey) return this.fail(res, base, 401, defaultErrorMessages[401], requestId);
    if (!req.headers["anthropic-version"]) return this.fail(res, base, 400, "anthropic-version: header is required", requestId);
    let body: MessagesRequest;
    try {
      const schema = path === "/v1/messages" ? messagesRequestSchema : countTokensRequestSchema;
      const parsed = schema.safeParse(JSON.parse(raw));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return this.fail(res, base, 400, `${issue.path.join(".")}: ${issue.message}`, requestId);
      }
      body = parsed.data;
    } catch {
      return this.fail(res, base, 400, "There was an issue with the format or content of your request: the body is not JSON.", requestId);
    }
    if (path === "/v1/messages/count_tokens") return void send(res, 200, { input_tokens: tokensOf(body.messages) });
    const unanswered = unansweredToolUse(body.messages);
    const withTools = (body.tools?.length ?? 0) > 0;
    const turn = readTurn(body.messages);
    const record = { path, model: body.model, stream: body.stream === true, withTools, ...(turn ? { turn } : {}) };
    if (unanswered) return this.fail(res, record, 400, unanswered, requestId);
    // Claude Code's side requests (titles, summaries) carry no tools: a short answer, never a script step.
    const step: ScriptStep = !withTools || !turn ? { text: "OK" } : this.stepFor(turn);
    await this.answer(res, body, record, step, turn, requestId);
  }

  private stepFor(turn: Turn): ScriptStep {
    const script = this.scripts.find((s) => (typeof s.match === "string" ? turn.prompt.includes(s.match) : s.match.test(turn.prompt)));
    if (!script) return { text: `turn ${turn.promptCount}: ${turn.prompt.split("\n")[0] ?? ""}` };
    const step = script.steps[turn.step];
    if (step === undefined) {
      return { error: 500, message: `fake-anthropic: the script for ${String(script.match)} has no step ${turn.step} (it has ${script.steps.length})` };
    }
    const hitKey = `${String(script.match)}#${turn.promptCount}#${turn.step}`;
    const hit = (this.hits.get(hitKey) ?? 0) + 1;
    this.hits.set(hitKey, hit);
    if (typeof step === "object" && "error" in step && step.times !== undefined && hit > step.times) {
      const next = script.steps[turn.step + 1];
      return next ?? { text: "OK" };
    }
    return step;
  }

  private async answer(res: ServerResponse, body: MessagesRequest, record: Omit<RecordedRequest, "status" | "answer">,
    step: ScriptStep, turn: Turn | undefined, requestId: string): Promise<void> {
    if (typeof step === "function") return this.answer(res, body, record, step(turn!), turn, requestId);
    if ("delayMs" in step) {
      await new Promise((r) => setTimeout(r, step.delayMs));
      return this.answer(res, body, record, step.then, turn, requestId);
    }
    if ("error" in step) {
      if (step.retryAfterSeconds !== undefined) res.setHeader("retry-after", String(step.retryAfterSeconds));
      return this.fail(res, record, step.error, step.message ?? defaultErrorMessages[step.error], requestId);
    }
    if ("streamError" in step) {
      this.requests.push({ ...record, status: 200, answer: `stream error ${step.streamError}` });
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const message = messageOf(body, [], "end_turn");
      res.write(sse("message_start", { type: "message_start", message: { ...message, stop_reason: null } }));
      const error = { type: "error", error: { type: step.streamError, message: step.message ?? (step.streamError === "overloaded_error" ? "Overloaded" : "Internal server error") } };
      res.end(sse("error", error));
      return;
    }
    const content: OutputBlock[] = [];
    const text = "text" in step ? step.text : undefined;
    if (text) content.push({ type: "text", text });
    const tools = "tools" in step ? step.tools : [];
    for (const tool of tools) content.push({ type: "tool_use", id: newId("toolu"), name: tool.name, input: tool.input });
    const message = messageOf(body, content, tools.length > 0 ? "tool_use" : "end_turn");
    this.requests.push({ ...record, status: 200, answer: tools.length > 0 ? `tools: ${tools.map((t) => t.name).join(", ")}` : "text" });
    if (!body.stream) return void send(res, 200, message);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    for (const event of streamEvents(message)) res.write(sse(event.event, event.data));
    res.end();
  }

  private fail(res: ServerResponse, record: Omit<RecordedRequest, "status" | "answer">, status: ErrorStatus, message: string, requestId: string): void {
    this.requests.push({ ...record, status, answer: `error ${status}` });
    send(res, status, errorBody(status, message, requestId));
  }
}

function messageOf(body: MessagesRequest, content: OutputBlock[], stopReason: MessageObject["stop_reason"]): MessageObject {
  return {
    id: newId("msg"), type: "message", role: "assistant", model: body.model, content, stop_reason: stopReason, stop_sequence: null,
    usage: { input_tokens: tokensOf([body.system, body.messages]), output_tokens: tokensOf(content) },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** The body as text, or undefined past the real API's size limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return undefined;
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}
