// Nothing tracked may assume the machine it was developed on: a path such as /work/… or /root/…
// works only there. What CI needs is found relative to the checkout (../shared beside it).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(__dirname, "..", "..");
// A machine-specific absolute path: /work/, /farm/, /root/ or /home/<someone>/ at a word start.
const machinePath = String.raw`(^|[^A-Za-z0-9_.~-])/(work|farm|root|home/[a-z][a-z0-9_-]*)/`;

it("no tracked file names an absolute path of a particular machine", () => {
  let hits = "";
  try {
    // -I skips binaries; lockfiles only hold registry URLs. git grep exits 1 when nothing matches.
    hits = execFileSync("git", ["grep", "-nIE", machinePath, "--", ".", ":!package-lock.json", ":!services/*/package-lock.json", ":!tests/lint/portable-paths.test.ts"], {
      cwd: root,
      encoding: "utf8",
    });
  } catch (error) {
    if ((error as { status?: number }).status !== 1) throw error;
  }
  expect(hits, "use a path relative to the checkout (e.g. ../shared) or an environment variable").toBe("");
});
