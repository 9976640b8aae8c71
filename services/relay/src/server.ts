// Relay entry point: validate the environment, listen, and shut down cleanly on SIGTERM/SIGINT.
import { parseRelayEnv } from "./env";
import { buildApp } from "./app";

async function main(): Promise<void> {
  let env;
  try {
    env = parseRelayEnv(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const { app } = await buildApp(env);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, "shutting down: finishing in-flight requests; unsent messages stay in the outbox");
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
  console.error("relay failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
