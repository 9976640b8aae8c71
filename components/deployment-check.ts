// Kept only for stacks deployed before the check became a @pulumi/command `local.Command`
// (components/deployment-check/main.mjs, run by textslash-stack.ts). Their state holds a
// `textslash:DeploymentCheck` dynamic resource whose serialized provider loads this module by this
// path (fly/lazy-provider.ts); the first `up` with the new program deletes it, and `refresh` may read
// it before that. Deleting it does nothing (it only ever polled), so this provider only answers those
// two; the program never declares the resource any more.
import type * as pulumi from "@pulumi/pulumi";

const retired = (): never => {
  throw new Error(
    "textslash:DeploymentCheck is retired: the post-deploy check is now a command:local:Command. Run `pulumi up` with this program; it deletes the old resource.",
  );
};

export const deploymentCheckProvider: pulumi.dynamic.ResourceProvider = {
  check: retired,
  diff: retired,
  create: retired,
  update: retired,
  read: async (id, props) => ({ id, props }),
  delete: async () => undefined,
};
