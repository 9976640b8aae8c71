// Who holds a Fly app name, read the way fly-go's AppNameAvailable reads it (flaps_apps.go: one GET of the
// app; 404 means free, 403 means an organization this token cannot see holds it, since app names are global).
// The app's check() asks before anything is created, so `pulumi preview` names a taken name and the key
// to change; create() asks again after Fly refused the name.
import { FlyApiError, isFlyNotFound, isVolumeGoing, type FlyClient } from "./client";

/** Machines that are gone or going: they neither hold data nor keep an app's delete waiting. */
export const GONE_MACHINE = new Set(["destroyed", "destroying"]);

export type AppNameHolder =
  | { kind: "free" }
  /** Another organization's app (Fly answers 403 to reading it): only another prefix helps. */
  | { kind: "foreign" }
  /** An app this token can read, in another of the user's organizations. */
  | { kind: "otherOrg"; orgSlug: string }
  /** An app of the stack's organization with machines or volumes: maybe a deployment with data. */
  | { kind: "occupied"; machines: number; volumes: number }
  /** An app of the stack's organization with nothing in it (an earlier up whose create answer was lost). */
  | { kind: "empty" };

export async function appNameHolder(fly: FlyClient, name: string, orgSlug: string): Promise<AppNameHolder> {
  let app;
  try {
    app = await fly.apps.get(name);
  } catch (err) {
    if (err instanceof FlyApiError && err.status === 403) return { kind: "foreign" };
    if (isFlyNotFound(err)) return { kind: "free" };
    throw err;
  }
  if (app.orgSlug !== undefined && app.orgSlug !== orgSlug) return { kind: "otherOrg", orgSlug: app.orgSlug };
  const [machines, volumes] = await Promise.all([
    fly.machines.list(name).then((ms) => ms.filter((m) => !GONE_MACHINE.has(m.state)).length),
    fly.volumes.list(name).then((vs) => vs.filter((v) => !isVolumeGoing(v.state)).length),
  ]);
  return machines === 0 && volumes === 0 ? { kind: "empty" } : { kind: "occupied", machines, volumes };
}

const prefixOf = (name: string) => name.replace(/-(relay|vm)$/, "");
const newPrefix = "choose another prefix with `pulumi config set textslash:prefix <new-prefix>`";

/** Fly answers 403 to reading an app name held by another organization: the name is taken for good. */
export function takenByAnotherOrg(name: string, orgSlug: string): string {
  return (
    `app name ${name} is taken by another Fly organization (Fly answers 403 to reading it; this stack's organization is ${orgSlug}). ` +
    `App names are global: ${newPrefix} (now "${prefixOf(name)}") and run \`pulumi up\` again.`
  );
}

/** Why this stack cannot create (or take over) the app, in words naming the config key to change; undefined when it can. */
export function appNameProblem(holder: AppNameHolder, name: string, orgSlug: string, adopt: boolean): string | undefined {
  switch (holder.kind) {
    case "foreign":
      return takenByAnotherOrg(name, orgSlug);
    case "otherOrg":
      return (
        `app ${name} already exists in your Fly organization ${holder.orgSlug}, not in this stack's ${orgSlug}. ` +
        `Deploy there with \`pulumi config set textslash:org ${holder.orgSlug}\`, or ${newPrefix} (now "${prefixOf(name)}").`
      );
    case "occupied":
      if (adopt) return undefined;
      return (
        `app ${name} already exists in organization ${orgSlug} with ${holder.machines} machine(s) and ${holder.volumes} volume(s). ` +
        "If it is your earlier deployment (the setup script's), set `pulumi config set textslash:adoptExisting true` to take it over; " +
        `otherwise ${newPrefix} (now "${prefixOf(name)}").`
      );
    case "free":
    case "empty":
      return undefined;
  }
}
