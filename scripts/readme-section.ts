// A generated section of README.md: the text between a BEGIN and an END marker comment, replaced
// by a script (gen-config-docs, gen-config-effects, gen-cost-docs) and checked by a docs test.
import { readFileSync, writeFileSync } from "node:fs";

export interface ReadmeSection {
  begin: string;
  end: string;
  /** What the section is, for messages: "configuration reference". */
  what: string;
  /** The command that regenerates it. */
  command: string;
}

/** Replaces the section (markers included) with `section`; throws when the markers are missing. */
export function spliceSection(readme: string, s: ReadmeSection, section: string): string {
  const start = readme.indexOf(s.begin);
  const end = readme.indexOf(s.end);
  if (start < 0 || end < start) {
    throw new Error(`README.md: missing the marker comments "${s.begin}" … "${s.end}"; add them where the ${s.what} belongs`);
  }
  return readme.slice(0, start) + section + readme.slice(end + s.end.length);
}

/** The scripts' command line: writes README.md, or with --check exits 1 when it is out of date. */
export function writeOrCheck(readmePath: string, s: ReadmeSection, section: string, argv: string[] = process.argv): void {
  const current = readFileSync(readmePath, "utf8");
  const next = spliceSection(current, s, section);
  if (!argv.includes("--check")) return writeFileSync(readmePath, next);
  if (next !== current) {
    console.error(`README.md ${s.what} is out of date; run \`${s.command}\``);
    process.exit(1);
  }
}
