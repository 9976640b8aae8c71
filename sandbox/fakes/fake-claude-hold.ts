// "hold:NAME" in a prompt makes the fake claude run until the test releases it: a run that lasts
// exactly as long as the test needs, where a fixed "sleep N" raced the rest of the test on a loaded
// machine (the other run or the status read had to finish within N seconds).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const releaseFile = (stateDir: string, name: string) => join(stateDir, `release-${name}`);

/** In the fake claude: resolves once the test has released `name`. */
export async function waitForRelease(stateDir: string, name: string): Promise<void> {
  while (!existsSync(releaseFile(stateDir, name))) await new Promise((r) => setTimeout(r, 50));
}

/** In a test: lets every run holding `name` (in the fake claude state folder `stateDir`) go on. */
export function releaseHold(stateDir: string, name: string): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(releaseFile(stateDir, name), "");
}
