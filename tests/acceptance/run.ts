// `npm run test:acceptance`: the acceptance suite against real Fly and Twilio when their credentials are in
// the environment (REQUIRED_ENV), or against the local sandbox with `--sandbox`. Without either it does not
// run, says so, and exits 2: a suite that did not run never counts as passed.
import { runAcceptance } from "./suite";
import { flyTarget, missingEnv, REQUIRED_ENV, type AcceptanceTarget } from "./target";
import { sandboxTarget } from "./sandbox-target";

export const NOT_RUN_EXIT = 2;

async function main(): Promise<number> {
  const sandbox = process.argv.includes("--sandbox");
  let target: AcceptanceTarget;
  if (sandbox) {
    target = await sandboxTarget();
  } else {
    const missing = missingEnv(process.env);
    if (missing.length > 0) {
      console.error(
        `ACCEPTANCE SUITE NOT RUN (this is not a pass): missing ${missing.join(", ")}.\n` +
          `Set ${REQUIRED_ENV.join(", ")} (optional: FLY_REGION, ACCEPTANCE_RELAY_IMAGE, ACCEPTANCE_VM_IMAGE) to run it against real Fly and Twilio, ` +
          "or run `npm run test:acceptance -- --sandbox` against the local sandbox. See docs/acceptance.md.",
      );
      return NOT_RUN_EXIT;
    }
    target = flyTarget(process.env);
  }
  try {
    const report = await runAcceptance(target);
    console.log(`ACCEPTANCE SUITE PASSED against ${target.describe}: ${report.steps.map((s) => `${s.step} (${Math.round(s.ms / 1000)}s)`).join("; ")}`);
    return 0;
  } catch (err) {
    console.error(`ACCEPTANCE SUITE FAILED against ${target.describe}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await target.close();
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`ACCEPTANCE SUITE FAILED to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
