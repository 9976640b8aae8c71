// VM entry point: validate the environment, refuse to run as root, listen, shut down cleanly.
import { parseVmEnv } from "./env";
import { buildApp } from "./app";

async function main(): Promise<void> {
  let env;
  try {
    env = parseVmEnv(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  // Claude Code refuses --dangerously-skip-permissions as root, and an agent should not have root anyway.
  if (process.getuid?.() === 0 && !env.VM_ALLOW_ROOT) {
    console.error("vm must not run as root: start it as an unprivileged user (the image's entrypoint does this), or set VM_ALLOW_ROOT=true for a local sandbox");
    process.exit(1);
  }
  // The agent as the VM's own user could read the VM's environment, relay token included.
  if (env.agent && env.agent.uid === process.getuid?.()) {
    console.error(`AGENT_UID (${env.agent.uid}) must differ from the VM's own uid: the agent could read the VM's environment, relay token included`);
    process.exit(1);
  }
  const { app } = await buildApp(env);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, "shutting down: running tasks get a grace period, the rest stay in /data/inbox");
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  await app.listen({ port: env.PORT, host: env.HOST });
}

main().catch((err: unknown) => {
  console.error("vm failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
