// Nothing tracked may assume the machine it was developed on: an absolute path into this machine's
// work folders or a user's home works only there. What CI needs is found relative to the checkout
// (../shared beside it).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(__dirname, "..", "..");
// A machine-specific absolute path at a word start: one of these top-level folders, or a user's home
// folder. Built from parts so that this file does not name such a path itself.
const machineFolders = ["work", "farm", "root", String.raw`home/[a-z][a-z0-9_-]*`];
const machinePath = String.raw`(^|[^A-Za-z0-9_.~-])/(${machineFolders.join("|")})/`;

it("no tracked file names an absolute path of a particular machine", () => {
  let hits = "";
  try {
    // -I skips binaries; lockfiles only hold registry URLs. git grep exits 1 when nothing matches.
    hits = execFileSync("git", ["grep", "-nIE", machinePath, "--", ".", ":!package-lock.json", ":!services/*/package-lock.json"], {
      cwd: root,
      encoding: "utf8",
    });
  } catch (error) {
    if ((error as { status?: number }).status !== 1) throw error;
  }
  expect(hits, "use a path relative to the checkout (e.g. ../shared) or an environment variable").toBe("");
});
