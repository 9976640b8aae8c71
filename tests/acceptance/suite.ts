// The acceptance suite (as Terraform providers' TF_ACC suites): one throw-away stack with a unique prefix,
// deployed with the real program and the real CLI to a target (real Fly and Twilio, or the local sandbox),
// then checked from outside: the public /health, a Twilio-signed webhook whose reply reaches the Messages API,
// the VM asleep again, and after destroy nothing of the prefix left. Destroy runs whatever happened before.
import { randomBytes } from "node:crypto";
import { isFlyNotFound } from "../../components/fly/client";
import { inboundParams, sendSignedWebhook } from "../../sandbox/fakes/fake-twilio";
import { createEngineProject, type EngineProject } from "../engine/harness";
import { programFiles, serviceFiles } from "../engine/fly-stack";
import type { AcceptanceTarget } from "./target";

/** The program and the services it builds, as a user's checkout has them. */
const PROGRAM_FILES = [...programFiles, ...serviceFiles];
const ASLEEP = new Set(["stopped", "suspended"]);

export interface AcceptanceReport {
  prefix: string;
  steps: { step: string; ms: number }[];
}

async function poll<T>(what: string, timeoutMs: number, intervalMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      last = ` (last error: ${err instanceof Error ? err.message : String(err)})`;
    }
    if (Date.now() + intervalMs > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)}s${last}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function runAcceptance(target: AcceptanceTarget, log: (line: string) => void = console.log): Promise<AcceptanceReport> {
  const prefix = `acc-${randomBytes(4).toString("hex")}`;
  const relayApp = `${prefix}-relay`;
  const vmApp = `${prefix}-vm`;
  const publicUrl = `https://${relayApp}.fly.dev`;
  const report: AcceptanceReport = { prefix, steps: [] };
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    log(`[acceptance] ${name} ...`);
    try {
      const result = await run();
      report.steps.push({ step: name, ms: Date.now() - started });
      log(`[acceptance] ${name}: ok (${Math.round((Date.now() - started) / 1000)}s)`);
      return result;
    } catch (err) {
      log(`[acceptance] ${name}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  };
  const pulumi = async (project: EngineProject, args: string[]): Promise<string> => {
    const result = await project.cli(args);
    if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (exit ${result.code}):\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
    return result.stdout;
  };

  log(`[acceptance] target: ${target.describe}; stack prefix ${prefix}`);
  const project = await createEngineProject({ copyFromRepo: PROGRAM_FILES, stackName: prefix, env: target.cliEnv, standIns: target.standInPlugins });
  let failure: unknown;
  try {
    await project.stack.setAllConfig({
      "textslash:prefix": { value: prefix },
      ...Object.fromEntries(Object.entries(target.config.plain).map(([k, value]) => [k, { value }])),
      ...Object.fromEntries(Object.entries(target.config.secret).map(([k, value]) => [k, { value, secret: true }])),
    });
    await step("pulumi up (ends when the relay answers from outside)", () => pulumi(project, ["up", "--yes", "--skip-preview"]));

    await step(`GET ${publicUrl}/health from outside`, async () => {
      const res = await fetch(target.publicUrl(`${publicUrl}/health`), { redirect: "manual", signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      if (res.status !== 200 || (JSON.parse(body) as { ok?: unknown }).ok !== true) throw new Error(`answered ${res.status}: ${body.slice(0, 300)}`);
    });

    const nonce = randomBytes(4).toString("hex");
    const text = `acceptance ${nonce}: reply with one word`;
    const sentAt = Date.now();
    await step("a Twilio-signed webhook to the relay", async () => {
      const answer = await sendSignedWebhook({
        relayUrl: target.publicUrl(publicUrl).replace(/\/+$/, ""),
        publicUrl,
        authToken: target.twilio.authToken,
        params: inboundParams({ from: `whatsapp:${target.twilio.phone}`, to: `whatsapp:${target.twilio.number}`, body: text,
          accountSid: target.twilio.accountSid, messageSid: `SM${randomBytes(16).toString("hex")}` }),
      });
      if (answer.status !== 200) throw new Error(`the relay answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    });

    await step("the VM's reply reaches Twilio's Messages API", () =>
      target.waitForReply({ to: `whatsapp:${target.twilio.phone}`, sentAfter: new Date(sentAt - 60_000), prompt: text, timeoutMs: target.budgets.replyMs }));

    await step("the VM goes back to sleep", () =>
      poll(`${vmApp}'s machine to be stopped or suspended`, target.budgets.sleepMs, 5_000, async () => {
        const machines = (await target.fly.machines.list(vmApp)).filter((m) => m.state !== "destroyed");
        return machines.length > 0 && machines.every((m) => ASLEEP.has(m.state)) ? true : undefined;
      }));
  } catch (err) {
    failure = err;
  } finally {
    try {
      await step("destroy (allowDataLoss recorded by an up first)", async () => {
        await pulumi(project, ["config", "set", "textslash:allowDataLoss", "true"]);
        await pulumi(project, ["up", "--yes", "--skip-preview"]).catch(() => undefined); // may fail if the first up did; destroy still runs
        await pulumi(project, ["destroy", "--yes", "--skip-preview"]);
      });
      await step(`nothing of ${prefix} is left`, async () => {
        for (const app of [relayApp, vmApp]) {
          const exists = await target.fly.apps.get(app).then(() => true, (err: unknown) => (isFlyNotFound(err) ? false : Promise.reject(err)));
          if (exists) throw new Error(`app ${app} still exists`);
        }
        const left = (await target.listApps()).filter((name) => name.startsWith(`${prefix}-`));
        if (left.length > 0) throw new Error(`apps of the prefix are left: ${left.join(", ")}`);
      });
    } catch (cleanup) {
      log(`[acceptance] clean up by hand: fly apps destroy ${relayApp} -y; fly apps destroy ${vmApp} -y`);
      failure ??= cleanup;
    } finally {
      await project.cleanup();
    }
  }
  if (failure !== undefined) throw failure;
  return report;
}
