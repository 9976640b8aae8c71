// One image registry for the whole test run, for the tests whose `pulumi up` builds services/relay
// and services/vm and pushes them (tests/e2e, tests/acceptance, tests/engine/images.test.ts). A
// registry of their own each got the 2 GB VM image compressed and uploaded again every time: about a
// minute of CPU, five minutes at load 15 (measured: 308 s for the first push, 2.4 s for the same
// image under another name in the same registry, where podman mounts the layers it already holds).
// Each of those tests pushes to repositories named after its own stack's apps, so they do not meet.
// The workers find it in TEXTSLASH_TEST_REGISTRY_URL; without docker-registry (the fast tier on a
// machine without scripts/install-containers.sh) there is none and each test starts its own as
// before, failing there with the install command when it needs one.
import path from "node:path";
import { startRegistry, type LocalRegistry } from "../../sandbox/images/registry";

export const SHARED_REGISTRY_ENV = "TEXTSLASH_TEST_REGISTRY_URL";

/** Starts the run's registry under `runTmp` and names it in the environment; undefined when it cannot start. */
export async function startSharedRegistry(runTmp: string): Promise<LocalRegistry | undefined> {
  let registry: LocalRegistry;
  try {
    registry = await startRegistry({ dir: path.join(runTmp, "registry") });
  } catch {
    return undefined;
  }
  process.env[SHARED_REGISTRY_ENV] = registry.url;
  return registry;
}

/** The run's registry URL (http://127.0.0.1:<port>), if it has one. */
export function sharedRegistryUrl(): string | undefined {
  return process.env[SHARED_REGISTRY_ENV] || undefined;
}
