// A stack's config file, Pulumi.<stack>.yaml, read and written directly: the documented format
// (https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/) that `pulumi config`
// itself reads and writes. Reading it answers "what is set" without a `pulumi config --json` run
// (a CLI process that also derives the passphrase key to decrypt every secret); plain values are
// written the same way. Secrets are never written here: they go through `pulumi config set-all
// --secret`, which encrypts them with the stack's secrets provider.
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isMap, isScalar, parseDocument } from "yaml";

export interface StackFileConfig {
  /** Plain values, "textslash:<key>" → value as a string (as `pulumi config` shows it). */
  plain: Record<string, string>;
  /** Keys whose value is encrypted (`{ secure: ... }`): set, value not readable here. */
  secure: Set<string>;
}

export const stackFilePath = (projectDir: string, stackName: string): string => join(projectDir, `Pulumi.${stackName}.yaml`);

export async function readStackFile(projectDir: string, stackName: string): Promise<StackFileConfig> {
  const path = stackFilePath(projectDir, stackName);
  const plain: Record<string, string> = {};
  const secure = new Set<string>();
  if (!existsSync(path)) return { plain, secure };
  const doc = parseDocument(await readFile(path, "utf8"));
  if (doc.errors.length > 0) throw new Error(`${path} is not valid YAML (${doc.errors[0]!.message.split("\n")[0]}); fix or delete it, then run the fleet again`);
  const config: unknown = doc.get("config", true);
  if (config === undefined || config === null) return { plain, secure };
  if (!isMap(config)) throw new Error(`${path}: "config" is not a map of keys to values; fix it with \`pulumi config\``);
  for (const item of config.items) {
    const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
    if (isScalar(item.value)) plain[key] = String(item.value.value);
    else if (isMap(item.value) && item.value.has("secure")) secure.add(key);
    // Structured (object or list) values: the program sets none; they are left alone and not reported.
  }
  return { plain, secure };
}

/**
 * Sets plain values and removes keys in the stack's file, keeping everything else (secrets, the
 * passphrase salt, comments). Replaced atomically, so a reader never sees half a file.
 */
export async function writeStackFile(projectDir: string, stackName: string, set: Record<string, string>, remove: string[] = []): Promise<void> {
  const path = stackFilePath(projectDir, stackName);
  const doc = parseDocument(existsSync(path) ? await readFile(path, "utf8") : "");
  if (doc.errors.length > 0) throw new Error(`${path} is not valid YAML (${doc.errors[0]!.message.split("\n")[0]}); fix or delete it, then run the fleet again`);
  if (!doc.has("config")) doc.set("config", doc.createNode({}));
  for (const [key, value] of Object.entries(set)) doc.setIn(["config", key], value);
  for (const key of remove) doc.deleteIn(["config", key]);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, doc.toString());
  await rename(tmp, path);
}
