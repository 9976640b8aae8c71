// Test values must look fake at a glance. A Twilio SID or key shaped like a real one (two letters and
// 32 hex digits) is never committed, not even all zeros: tests build one with zeroSid() in
// sandbox/daemon/fake-values.ts; README examples use placeholders.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(__dirname, "..", "..");
const sidShape = String.raw`\b(AC|SK|MG|XE|PN)[0-9a-fA-F]{32}\b`;

it("no tracked file holds a string shaped like a Twilio SID", () => {
  let hits = "";
  try {
    hits = execFileSync("git", ["grep", "-nIE", sidShape, "--", ".", ":!package-lock.json", ":!services/*/package-lock.json"], { cwd: root, encoding: "utf8" });
  } catch (error) {
    if ((error as { status?: number }).status !== 1) throw error;
  }
  const credentialShaped = hits.split("\n").filter((line) => line !== "");
  expect(credentialShaped, "build test SIDs with zeroSid() from sandbox/daemon/fake-values.ts; docs use a placeholder such as <your Account SID>").toEqual([]);
});
