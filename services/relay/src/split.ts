// Splits a long answer into WhatsApp-sized messages, preferring paragraph, then line, then word
// breaks. Size is Twilio's 1600 counted the strict way (see whatsapp-rules.ts), not string length.
import { bodyLimit, charWeight } from "./whatsapp-rules";

export const whatsAppLimit = bodyLimit;

const separators = ["\n\n", "\n", " "];

export function splitMessage(text: string, limit = whatsAppLimit): string[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const parts: string[] = [];
  let rest = trimmed;
  for (;;) {
    const fits = fittingLength(rest, limit);
    if (fits === rest.length) break;
    const cut = bestCut(rest, fits);
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest !== "") parts.push(rest);
  return parts;
}

/** The longest prefix (in UTF-16 units, never ending inside a surrogate pair) within `limit`. */
function fittingLength(text: string, limit: number): number {
  let weight = 0;
  let index = 0;
  for (const char of text) {
    weight += charWeight(char.codePointAt(0) ?? 0, char);
    if (weight > limit) return index;
    index += char.length;
  }
  return text.length;
}

function bestCut(text: string, fits: number): number {
  for (const sep of separators) {
    const at = text.lastIndexOf(sep, fits - sep.length);
    // A break in the first fifth would leave a tiny message; look for a finer one instead.
    if (at > fits / 5) return at + sep.length;
  }
  // One unbroken run longer than the limit (a URL, a hash): cut it where the limit falls.
  return Math.max(fits, 1);
}
