// Fly's accepted authorization forms: "Bearer <t>", "FlyV1 <t>", "Bearer FlyV1 <t>".
import { createHash, timingSafeEqual } from "node:crypto";

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

export function tokenFromHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:Bearer\s+)?(?:FlyV1\s+)?(.+)$/i.exec(header.trim());
  if (match === null || !/^(Bearer|FlyV1)\s/i.test(header.trim())) return undefined;
  return match[1]?.trim();
}

/** Compares digests so the time taken says nothing about the token. */
export function isAuthorized(header: string | undefined, token: string): boolean {
  const given = tokenFromHeader(header);
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}
