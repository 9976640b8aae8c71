import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./state";

// The sandbox runs services/relay and services/vm as local processes from their own folders, and
// each is a separate npm package (its image installs only what it needs), so the root `npm ci`
// does not install their dependencies. Without them every machine process exits at once and the
// deploy waits for health checks that can never pass. Install them once, from their lockfiles.

const SERVICES = ["relay", "vm"] as const;

/** Services whose node_modules is missing or older than their lockfile. */
export function servicesNeedingInstall(root = repoRoot): string[] {
  return SERVICES.filter((service) => {
    // npm ci writes node_modules/.package-lock.json; its absence means no (complete) install.
    const installed = path.join(root, "services", service, "node_modules", ".package-lock.json");
    return !existsSync(installed);
  });
}

/** Runs scripts/install-services.sh when a service lacks its dependencies; throws with the fix on failure. */
export function ensureServiceDependencies(say: (line: string) => void = console.log, root = repoRoot): void {
  const missing = servicesNeedingInstall(root);
  if (missing.length === 0) return;
  say(`installing the dependencies of services/${missing.join(", services/")} (once; from their lockfiles)`);
  const script = path.join(root, "scripts", "install-services.sh");
  const result = spawnSync("bash", [script], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    throw new Error(`installing the services' dependencies failed (exit ${String(result.status)}); run \`bash scripts/install-services.sh\` to see why, then npm run sandbox:up again`);
  }
}
