// The optional persist file: written atomically (temp file + rename) after each change, read at start.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { emptyStore, type StoreData } from "./model";

/**
 * The file's format. Bump it when StoreData changes shape, and teach loadStore to read the older one
 * (or to refuse it by name). Files written before the field existed are format 1.
 */
export const STORE_FORMAT = 1;

// Loose on purpose: the file is ours, but a hand-edited or older one should fail with a clear message, not a crash later.
const storeFileSchema = z.looseObject({
  apps: z.record(z.string(), z.looseObject({ name: z.string() })),
  machines: z.record(z.string(), z.looseObject({ id: z.string(), app: z.string(), state: z.string() })),
  volumes: z.record(z.string(), z.looseObject({ id: z.string(), app: z.string() })),
  ips: z.array(z.looseObject({ app: z.string(), ip: z.string() })),
  counter: z.number(),
  format: z.number().int().positive().optional(),
});

export function loadStore(file: string): StoreData {
  if (!existsSync(file)) return emptyStore();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`local Fly API: state file ${file} is not JSON (${(err as Error).message}); delete it to start empty`);
  }
  const parsed = storeFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`local Fly API: state file ${file} is not a sandbox state file (${problems.join("; ")}); delete it to start empty`);
  }
  const format = parsed.data.format ?? 1;
  if (format > STORE_FORMAT) {
    throw new Error(
      `local Fly API: state file ${file} has format ${format}, newer than this checkout reads (${STORE_FORMAT}); ` +
        `run the textslash version that wrote it, or delete the file to start empty`,
    );
  }
  const { format: _format, ...data } = raw as StoreData & { format?: number };
  return data;
}

export function saveStore(file: string, data: StoreData): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  // 0600: the file holds the user's sandbox secret values.
  writeFileSync(tmp, JSON.stringify({ format: STORE_FORMAT, ...data }), { mode: 0o600 });
  renameSync(tmp, file);
}
