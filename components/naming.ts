// Naming: one pure function turns a stack name into the Fly app prefix. Fly app names are
// global DNS labels ({prefix}-relay.fly.dev), so the prefix keeps only [a-z0-9-], never starts or
// ends with "-", and is capped so "{prefix}-relay" stays well inside a 63-character label.
export const PREFIX_MAX_LENGTH = 40;
const PREFIX_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Derives a stable, valid prefix from a stack name (same input, same output). */
export function prefixFromStackName(stackName: string): string {
  const cleaned = stackName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .slice(0, PREFIX_MAX_LENGTH)
    .replace(/^-+|-+$/g, "");
  if (cleaned === "") {
    throw new Error(
      `stack name "${stackName}" has no letters or digits to build a Fly app prefix from; set textslash:prefix`,
    );
  }
  return cleaned;
}

/** Why a prefix is invalid, or undefined when it is fine. */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length > PREFIX_MAX_LENGTH) return `at most ${PREFIX_MAX_LENGTH} characters`;
  if (!PREFIX_PATTERN.test(prefix)) return "only a-z, 0-9 and '-', not starting or ending with '-'";
  return undefined;
}

export interface AppNames {
  relayApp: string;
  vmApp: string;
}

export function appNames(prefix: string): AppNames {
  return { relayApp: `${prefix}-relay`, vmApp: `${prefix}-vm` };
}
