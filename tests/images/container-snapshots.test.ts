// Volume snapshots in the sandbox's container mode: the local Fly API asks the runtime to copy a
// volume's data when a snapshot is taken and to put it into a new volume on a restore; for
// containers the data is a podman volume. Needs podman (never skipped: requirePodman says how).
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podman, podmanOk, requirePodman } from "../../sandbox/images/podman";
import { serviceImageTags } from "../../sandbox/images/service-images";
import { ContainerRuntime } from "../../sandbox/runtime/container-runtime";

const namespace = `textslash-test-${randomBytes(4).toString("hex")}`;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "container-snapshots-"));
const runtime = new ContainerRuntime({ repoRoot: path.resolve(__dirname, "../.."), stateDir, images: serviceImageTags, namespace, log: () => undefined });

async function mountpoint(volumeId: string): Promise<string> {
  return (await podman(["volume", "inspect", "--format", "{{.Mountpoint}}", runtime.volumeName(volumeId)])).trim();
}

beforeAll(async () => {
  await requirePodman();
});

afterAll(async () => {
  for (const id of ["vol_source", "vol_restored"]) await podmanOk(["volume", "rm", "--force", runtime.volumeName(id)]);
  rmSync(stateDir, { recursive: true, force: true });
});

describe("ContainerRuntime volume snapshots", () => {
  it("a snapshot keeps the volume's data as it was, and a restore puts it into a new volume", async () => {
    // A volume no machine has mounted yet is created empty, as Fly's is.
    expect(await runtime.snapshotVolume("vol_source", "vs_empty")).toBeGreaterThan(0);
    const source = await mountpoint("vol_source");
    mkdirSync(path.join(source, "home", "session"), { recursive: true });
    writeFileSync(path.join(source, "home", "session", "history.jsonl"), "turn 1\n");
    const bytes = await runtime.snapshotVolume("vol_source", "vs_one");
    expect(bytes).toBeGreaterThan("turn 1\n".length);
    // Written after the snapshot: not in it.
    writeFileSync(path.join(source, "home", "session", "history.jsonl"), "turn 1\nturn 2\n");

    await runtime.restoreVolume("vs_one", "vol_restored");
    expect(readFileSync(path.join(await mountpoint("vol_restored"), "home", "session", "history.jsonl"), "utf8")).toBe("turn 1\n");
    await expect(runtime.restoreVolume("vs_missing", "vol_restored")).rejects.toThrow(/snapshot vs_missing has no data/);
  });
});
