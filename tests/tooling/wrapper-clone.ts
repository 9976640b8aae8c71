// A throwaway copy of the files scripts/pulumi needs (the script, the toolchain script and its Go
// module, package.json, node_modules linked), so a test can watch what the wrapper writes inside
// "its clone" without touching the real checkout.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "..", "..");

export interface WrapperClone {
  dir: string;
  wrapper: string;
  cleanup(): void;
}

export function wrapperClone(): WrapperClone {
  const dir = mkdtempSync(path.join(os.tmpdir(), "textslash-wrapper-"));
  mkdirSync(path.join(dir, "scripts"));
  for (const file of ["scripts/pulumi", "scripts/toolchain.sh", "scripts/toolchain", "package.json"]) {
    cpSync(path.join(repoRoot, file), path.join(dir, file), { recursive: true });
  }
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
  return { dir, wrapper: path.join(dir, "scripts", "pulumi"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
