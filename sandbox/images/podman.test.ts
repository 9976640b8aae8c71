// Every podman build retries podman 4.3's "layer not known" race (containers/podman#18659) and
// nothing else: the policy alone, with a stand-in for the podman run.
import { describe, expect, it } from "vitest";
import { retryingLayerRace } from "./podman";

const failingThen = (errors: string[], result = "built") => {
  let calls = 0;
  const run = () => {
    const error = errors[calls++];
    return error === undefined ? Promise.resolve(result) : Promise.reject(new Error(error));
  };
  return { run, calls: () => calls };
};

describe("retryingLayerRace", () => {
  it("runs a build again after \"layer not known\", up to three times in all", async () => {
    const twice = failingThen(["podman build failed: Error: layer not known", "podman build failed: layer not known"]);
    await expect(retryingLayerRace(["build", "."], twice.run)).resolves.toBe("built");
    expect(twice.calls()).toBe(3);
    const always = failingThen(["layer not known", "layer not known", "layer not known", "layer not known"]);
    await expect(retryingLayerRace(["build", "."], always.run)).rejects.toThrow("layer not known");
    expect(always.calls()).toBe(3);
  });

  it("throws any other failure, and any failure of a command other than build, at once", async () => {
    const other = failingThen(["podman build failed: no space left on device"]);
    await expect(retryingLayerRace(["build", "."], other.run)).rejects.toThrow("no space left");
    expect(other.calls()).toBe(1);
    const push = failingThen(["layer not known"]);
    await expect(retryingLayerRace(["push", "x"], push.run)).rejects.toThrow("layer not known");
    expect(push.calls()).toBe(1);
  });
});
