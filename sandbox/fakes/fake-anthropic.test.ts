// The Anthropic stand-in on the wire: the event order of a streamed Message, tool rounds, the
// real API's refusals (key, version header, unanswered tool_use) and error bodies. The real Claude
// Code CLI against it is tested in tests/containers (it is in the VM image, not on the host).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeAnthropic } from "./fake-anthropic";

const fake = new FakeAnthropic({ apiKey: "sk-ant-test-key" });
let url = "";
beforeAll(async () => { url = await fake.start(); });
afterAll(() => fake.stop());

const headers = { "x-api-key": "sk-ant-test-key", "anthropic-version": "2023-06-01", "content-type": "application/json" };
const tools = [{ name: "Bash", input_schema: { type: "object" } }];

function post(body: unknown, extra: Record<string, string> = {}, path = "/v1/messages?beta=true"): Promise<Response> {
  return fetch(`${url}${path}`, { method: "POST", headers: { ...headers, ...extra }, body: JSON.stringify(body) });
}

async function events(res: Response): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const text = await res.text();
  return text.trim().split("\n\n").map((chunk) => {
    const [eventLine = "", dataLine = ""] = chunk.split("\n");
    return { event: eventLine.replace(/^event: /, ""), data: JSON.parse(dataLine.replace(/^data: /, "")) as Record<string, unknown> };
  });
}

const user = (text: string) => ({ role: "user", content: [{ type: "text", text: "<system-reminder>context</system-reminder>" }, { type: "text", text }] });

describe("fake Anthropic Messages API", () => {
  it("streams message_start, block start/ping/deltas/stop, message_delta with stop_reason, message_stop; the default answer counts prompts", async () => {
    const res = await post({ model: "claude-x", max_tokens: 100, stream: true, tools, messages: [user("first"), { role: "assistant", content: "a" }, user("hello there\nsecond line")] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("request-id")).toMatch(/^req_/);
    const list = await events(res);
    expect(list.map((e) => e.event)).toEqual(["message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    expect(list.every((e) => e.data.type === e.event)).toBe(true);
    expect(list[0]!.data.message).toMatchObject({ type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null });
    expect(list[3]!.data.delta).toEqual({ type: "text_delta", text: "turn 2: hello there" });
    expect(list[5]!.data.delta).toEqual({ stop_reason: "end_turn", stop_sequence: null });
  });

  it("plays a script: a tool_use round (input as input_json_delta pieces), then an answer built from the tool results", async () => {
    fake.script("list files", [
      { tools: [{ name: "Bash", input: { command: "ls -la /data/workspace", description: "list the workspace" } }] },
      (turn) => ({ text: `saw: ${turn.toolResults.map((r) => r.text).join("")}` }),
    ]);
    const first = await events(await post({ model: "m", max_tokens: 100, stream: true, tools, messages: [user("please list files")] }));
    const start = first.find((e) => e.event === "content_block_start")!.data.content_block as Record<string, unknown>;
    expect(start).toMatchObject({ type: "tool_use", name: "Bash", input: {} });
    const json = first.filter((e) => e.event === "content_block_delta").map((e) => (e.data.delta as { partial_json: string }).partial_json).join("");
    expect(JSON.parse(json)).toEqual({ command: "ls -la /data/workspace", description: "list the workspace" });
    expect(first.find((e) => e.event === "message_delta")!.data.delta).toMatchObject({ stop_reason: "tool_use" });

    const id = String(start.id);
    const assistant = { role: "assistant", content: [{ type: "tool_use", id, name: "Bash", input: JSON.parse(json) as unknown }] };
    const unanswered = await post({ model: "m", max_tokens: 100, tools, messages: [user("please list files"), assistant, user("go on")] });
    expect(unanswered.status).toBe(400);
    expect(await unanswered.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining(`without \`tool_result\` blocks immediately after: ${id}`) } });

    const result = { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: [{ type: "text", text: "made.txt" }] }] };
    const second = await post({ model: "m", max_tokens: 100, tools, messages: [user("please list files"), assistant, result] });
    expect(await second.json()).toMatchObject({ type: "message", stop_reason: "end_turn", content: [{ type: "text", text: "saw: made.txt" }] });
    expect(fake.requests.filter((r) => r.turn?.prompt === "please list files").map((r) => [r.turn?.step, r.answer])).toEqual([[0, "tools: Bash"], [1, "text"]]);
  });

  it("refuses as the real API does: a wrong or missing key (401), no anthropic-version (400), a scripted 529 and 429 with retry-after", async () => {
    const body = { model: "m", max_tokens: 10, tools, messages: [user("hi")] };
    const wrong = await post(body, { "x-api-key": "sk-ant-wrong" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" }, request_id: expect.stringMatching(/^req_/) });
    const noKey = await fetch(`${url}/v1/messages`, { method: "POST", headers: { "anthropic-version": "2023-06-01" }, body: JSON.stringify(body) });
    expect(await noKey.json()).toMatchObject({ error: { type: "authentication_error", message: "x-api-key header is required" } });
    const noVersion = await fetch(`${url}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-ant-test-key" }, body: JSON.stringify(body) });
    expect(noVersion.status).toBe(400);

    fake.script("busy", [{ error: 529 }]);
    const busy = await post({ ...body, messages: [user("busy now")] });
    expect(busy.status).toBe(529);
    expect(await busy.json()).toMatchObject({ error: { type: "overloaded_error", message: "Overloaded" } });
    fake.script("limited", [{ error: 429, retryAfterSeconds: 7, times: 1 }, { text: "after the limit" }]);
    const limited = await post({ ...body, messages: [user("limited now")] });
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "7"]);
    expect(await limited.json()).toMatchObject({ error: { type: "rate_limit_error" } });
    expect(await (await post({ ...body, messages: [user("limited now")] })).json()).toMatchObject({ content: [{ type: "text", text: "after the limit" }] });
  });

  it("a stream can fail after its 200 with an error event; a script without the step asked for says so", async () => {
    fake.script("midway", [{ streamError: "overloaded_error" }]);
    const list = await events(await post({ model: "m", max_tokens: 10, stream: true, tools, messages: [user("midway")] }));
    expect(list.map((e) => e.event)).toEqual(["message_start", "error"]);
    expect(list[1]!.data).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });

    fake.script("short", [{ text: "only one" }]);
    const res = await post({ model: "m", max_tokens: 10, tools, messages: [user("short"), { role: "assistant", content: [{ type: "text", text: "x" }] }, { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "y" }] }] });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { type: "api_error", message: expect.stringContaining("has no step 1 (it has 1)") } });
  });

  it("answers side requests without tools with a short text, and count_tokens with a count", async () => {
    expect(await (await post({ model: "m", max_tokens: 10, messages: [user("please list files")] })).json()).toMatchObject({ content: [{ type: "text", text: "OK" }] });
    expect(await (await post({ model: "m", messages: [user("x")] }, {}, "/v1/messages/count_tokens")).json()).toEqual({ input_tokens: expect.any(Number) });
  });
});
