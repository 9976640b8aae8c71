/** Drops undefined (and, for wire objects read back, null) fields so mapped objects compare cleanly. */
export function compact<T extends Record<string, unknown>>(obj: T): { [K in keyof T]: Exclude<T[K], undefined | null> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out as { [K in keyof T]: Exclude<T[K], undefined | null> };
}
