// Splits a long answer into WhatsApp-sized messages, preferring paragraph, then line, then word breaks.
export const whatsAppLimit = 1600;

const separators = ["\n\n", "\n", " "];

export function splitMessage(text: string, limit = whatsAppLimit): string[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const parts: string[] = [];
  let rest = trimmed;
  while (rest.length > limit) {
    const cut = bestCut(rest, limit);
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest !== "") parts.push(rest);
  return parts;
}

function bestCut(text: string, limit: number): number {
  for (const sep of separators) {
    const at = text.lastIndexOf(sep, limit - sep.length);
    // A break in the first fifth would leave a tiny message; look for a finer one instead.
    if (at > limit / 5) return at + sep.length;
  }
  // One unbroken run longer than the limit (a URL, a hash): cut it, never mid surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}
