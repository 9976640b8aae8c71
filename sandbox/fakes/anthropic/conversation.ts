// Reads a Messages API request the way a script needs it: which user prompt is being answered,
// how many assistant turns (tool rounds) have happened since, what the tools returned, and how
// many prompts the conversation holds (a resumed session sends its whole history again).
// Also the real API's check that every tool_use is answered by a tool_result in the next message.
import type { MessageParam } from "./wire";

export interface ToolResult { toolUseId: string; text: string; isError: boolean }

export interface Turn {
  /** The text the user typed for the prompt being answered (Claude Code's <system-reminder> blocks left out). */
  prompt: string;
  /** 0 for the first answer to the prompt, 1 after one tool round, … */
  step: number;
  /** User prompts in the conversation so far, this one included. */
  promptCount: number;
  /** The tool results of the last user message (empty at step 0). */
  toolResults: ToolResult[];
}

type Block = Record<string, unknown> & { type: string };

function blocks(message: MessageParam): Block[] {
  return typeof message.content === "string" ? [{ type: "text", text: message.content }] : (message.content as Block[]);
}

function typedText(block: Block): string | undefined {
  if (block.type !== "text" || typeof block.text !== "string") return undefined;
  const text = block.text.trim();
  // Claude Code adds context as <system-reminder> text blocks in the user's turn; they are not the prompt.
  return text === "" || text.startsWith("<system-reminder>") ? undefined : text;
}

function isPrompt(message: MessageParam): boolean {
  if (message.role !== "user") return false;
  const content = blocks(message);
  return !content.some((b) => b.type === "tool_result") && content.some((b) => typedText(b) !== undefined);
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((c: Block) => (c.type === "text" && typeof c.text === "string" ? c.text : "")).join("");
  return "";
}

export function readTurn(messages: MessageParam[]): Turn | undefined {
  let promptIndex = -1;
  let promptCount = 0;
  messages.forEach((m, i) => {
    if (isPrompt(m)) {
      promptIndex = i;
      promptCount++;
    }
  });
  if (promptIndex < 0) return undefined;
  const prompt = blocks(messages[promptIndex]!).map(typedText).filter((t) => t !== undefined).join("\n");
  const step = messages.slice(promptIndex + 1).filter((m) => m.role === "assistant").length;
  const last = messages[messages.length - 1]!;
  const toolResults = last.role === "user"
    ? blocks(last).filter((b) => b.type === "tool_result").map((b) => ({
      toolUseId: String(b.tool_use_id), text: resultText(b.content), isError: b.is_error === true,
    }))
    : [];
  return { prompt, step, promptCount, toolResults };
}

/**
 * The real API refuses a conversation where an assistant turn's tool_use ids are not all answered by
 * tool_result blocks in the message right after it (400 invalid_request_error, this wording).
 */
export function unansweredToolUse(messages: MessageParam[]): string | undefined {
  for (let i = 0; i < messages.length - 1; i++) {
    const m = messages[i]!;
    if (m.role !== "assistant") continue;
    const ids = blocks(m).filter((b) => b.type === "tool_use").map((b) => String(b.id));
    if (ids.length === 0) continue;
    const next = messages[i + 1]!;
    const answered = new Set(blocks(next).filter((b) => b.type === "tool_result").map((b) => String(b.tool_use_id)));
    const missing = ids.filter((id) => !answered.has(id));
    if (missing.length > 0) {
      return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. ` +
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message.";
    }
  }
  return undefined;
}
