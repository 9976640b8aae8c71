// Test values must look fake at a glance. A Twilio SID or key shaped like a real one (two letters and
// 32 hex digits) is committed only as all zeros (FAKE_ACCOUNT_SID in sandbox/daemon/fake-values.ts);
// README examples use placeholders.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(__dirname, "..", "..");
const sidShape = String.raw`\b(AC|SK|MG|XE|PN)[0-9a-fA-F]{32}\b`;

it("no tracked file holds a Twilio SID that could be real", () => {
  let hits = "";
  try {
    hits = execFileSync("git", ["grep", "-nIE", sidShape, "--", ".", ":!package-lock.json", ":!services/*/package-lock.json"], { cwd: root, encoding: "utf8" });
  } catch (error) {
    if ((error as { status?: number }).status !== 1) throw error;
  }
  const realLooking = hits.split("\n").filter((line) => line !== "" && [...line.matchAll(new RegExp(sidShape, "g"))].some((m) => !/^..0{32}$/.test(m[0])));
  expect(realLooking, "use FAKE_ACCOUNT_SID (all zeros) or a placeholder such as <your Account SID>").toEqual([]);
});
