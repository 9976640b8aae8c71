// `/cancel` from WhatsApp: drop the sender's messages still in the relay's outbox, then ask the VM
// to drop its queue for them and stop what it runs (it tells the user). If the VM cannot be
// reached, the relay tells the user what it cancelled on its own side.
import type { FastifyBaseLogger } from "fastify";
import type { Outbox } from "./store/outbox";
import { cancelOnVm } from "./vm-client";
import { maskNumber } from "./logger";

export function isCancelCommand(body: string): boolean {
  return body.trim().toLowerCase() === "/cancel";
}

export interface CancelDeps {
  outbox: Outbox;
  vmUrl: string;
  token: string;
  log: FastifyBaseLogger;
  notify: (to: string, text: string) => Promise<void>;
  /** VM attempts and the pause between them (tests shorten it). */
  vmAttempts?: number;
  vmRetryDelayMs?: number;
}

export function unreachableCancelNotice(dropped: number): string {
  const relaySide = dropped === 0 ? "No messages were waiting on the relay." : `Dropped ${dropped} message${dropped === 1 ? "" : "s"} that had not reached the agent yet.`;
  return `${relaySide} The agent's machine did not answer, so work it already has may still run; send /cancel again in a minute to stop it.`;
}

export class CancelCommand {
  /** Cancels under way in the background, so shutdown and tests can wait for them. */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: CancelDeps) {}

  /** Drops the relay's side durably (before Twilio hears 200), then reaches the VM in the background. */
  async run(from: string): Promise<number> {
    const dropped = await this.deps.outbox.dropFrom(from);
    this.deps.log.info({ from: maskNumber(from), dropped }, "/cancel: dropped the sender's waiting messages");
    const work = this.reachVm(from, dropped).finally(() => this.pending.delete(work));
    this.pending.add(work);
    return dropped;
  }

  async idle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async reachVm(from: string, dropped: number): Promise<void> {
    const { log } = this.deps;
    try {
      const answer = await cancelOnVm(this.deps.vmUrl, this.deps.token, from, this.deps.vmAttempts, this.deps.vmRetryDelayMs);
      log.info({ from: maskNumber(from), ...answer }, "/cancel: the VM cancelled the sender's work and tells them");
    } catch (err) {
      log.warn({ err, from: maskNumber(from), dropped }, "/cancel: VM not reachable; telling the sender what the relay cancelled");
      await this.deps.notify(from, unreachableCancelNotice(dropped)).catch((notifyErr: unknown) => {
        log.error({ err: notifyErr, from: maskNumber(from) }, "/cancel: could not tell the sender");
      });
    }
  }
}
