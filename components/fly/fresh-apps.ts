// Apps this provider process created itself (POST /apps answered with the new app), and what it has
// created in each since. Such an app held nothing when it was made, so the first create of a volume or an
// IP of a given name or type in it needs no listing first: the listing exists to find what an earlier up
// made but never recorded (or, with `adopt`, what the setup script made), and an app this very process
// made a moment ago has neither. Fly does not refuse a second volume of one name nor a second address
// of one type, so without this the listing would be the only guard, and it would sit on every fresh
// deployment's critical path.
//
// The memory lives in the provider process, which the engine starts for one deployment and which
// serves every Fly resource of the stack (one explicit provider, see ../dynamic-provider.ts). A later
// up is a new process that knows nothing, so it lists again: exactly when an earlier run may have left
// something. Each (app, object) is claimed before the create is sent, so a second attempt in the same
// process (after a create whose answer was lost) lists as well.

/** App name → the objects (e.g. "volume:vm_data", "ip:v6") created in it by this process. */
const fresh = new Map<string, Set<string>>();

/** The app was just created by this process: it holds nothing. */
export function markAppCreated(appName: string): void {
  fresh.set(appName, new Set());
}

/** The app was deleted, taken over or found existing: its contents are unknown again. */
export function forgetApp(appName: string): void {
  fresh.delete(appName);
}

/**
 * True when `object` is about to be created for the first time in an app this process created, so
 * nothing of that name can be there yet and the listing before the create can be skipped. Claims it:
 * asked again for the same object (a retry), the answer is false.
 */
export function firstInFreshApp(appName: string, object: string): boolean {
  const made = fresh.get(appName);
  if (made === undefined || made.has(object)) return false;
  made.add(object);
  return true;
}
