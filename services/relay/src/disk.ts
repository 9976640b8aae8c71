// How full the relay's volume is, for /health (Fly's volume API does not report it; npm run status
// shows it). Kept in memory and refreshed in the background at most every `maxAgeMs`, so /health
// still answers from memory and never waits on the filesystem.
import { statfs } from "node:fs/promises";

export interface DiskUse {
  usedBytes: number;
  totalBytes: number;
}

export class DiskGauge {
  private value: DiskUse | undefined;
  private readAt = 0;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly maxAgeMs = 30_000,
  ) {}

  /** Reads once (at start); errors leave the figure unknown rather than failing anything. */
  async refresh(): Promise<void> {
    this.reading ??= statfs(this.dir)
      .then((s) => {
        this.value = { usedBytes: (s.blocks - s.bfree) * s.bsize, totalBytes: s.blocks * s.bsize };
      }, () => undefined)
      .finally(() => {
        this.readAt = Date.now();
        this.reading = undefined;
      });
    return this.reading;
  }

  /** The last figure; starts a background refresh when it is older than `maxAgeMs`. */
  current(): DiskUse | undefined {
    if (Date.now() - this.readAt > this.maxAgeMs) void this.refresh();
    return this.value;
  }
}
