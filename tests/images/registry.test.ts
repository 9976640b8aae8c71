// The local registry (Debian's docker-registry) as issue 15's `pulumi up` will use it: push the
// relay image built from this checkout, resolve its digest with a manifest HEAD, pull it back by
// digest. Needs podman and docker-registry (scripts/install-containers.sh); fails without them.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podman, requirePodman } from "../../sandbox/images/podman";
import { digestOf, manifestAccept, pushImage, startRegistry, type LocalRegistry } from "../../sandbox/images/registry";
import { ensureServiceImage, serviceImageTags } from "../../sandbox/images/service-images";

const repoRoot = path.resolve(__dirname, "../..");
const dir = mkdtempSync(path.join(os.tmpdir(), "registry-test-"));
let registry: LocalRegistry;

beforeAll(async () => {
  await requirePodman();
  await ensureServiceImage(repoRoot, "relay");
  registry = await startRegistry({ dir });
}, 1_200_000);

afterAll(async () => {
  await registry?.stop();
  if (registry) await podman(["rmi", "--ignore", `${registry.host}/textslash-relay:test`, `${registry.host}/textslash-relay:v2`]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe("local registry", () => {
  it("takes a push and answers a manifest HEAD with the pushed digest, which pulls the same image back", async () => {
    const digestFile = path.join(dir, "digest");
    await podman(["push", "--tls-verify=false", "--format", "v2s2", "--quiet", "--digestfile", digestFile,
      serviceImageTags.relay, `docker://${registry.host}/textslash-relay:test`], { timeoutMs: 600_000 });
    const pushed = readFileSync(digestFile, "utf8").trim();
    expect(pushed).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await digestOf(registry.url, "textslash-relay", "test")).toBe(pushed);

    const head = await fetch(`${registry.url}/v2/textslash-relay/manifests/test`, { method: "HEAD", headers: { Accept: manifestAccept } });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("application/vnd.docker.distribution.manifest.v2+json");

    await podman(["pull", "--tls-verify=false", "--quiet", `${registry.host}/textslash-relay@${pushed}`], { timeoutMs: 600_000 });
    const pulledId = (await podman(["image", "inspect", "--format", "{{.Id}}", `${registry.host}/textslash-relay@${pushed}`])).trim();
    const localId = (await podman(["image", "inspect", "--format", "{{.Id}}", serviceImageTags.relay])).trim();
    expect(pulledId).toBe(localId);
  });

  it("pushImage returns the digest-pinned reference; an unknown tag is an error that names it", async () => {
    const { ref, digest } = await pushImage(serviceImageTags.relay, registry, "textslash-relay", "v2");
    expect(ref).toBe(`${registry.host}/textslash-relay@${digest}`);
    await expect(digestOf(registry.url, "textslash-relay", "nope")).rejects.toThrow(/answered 404 without a digest; was textslash-relay:nope pushed\?/);
  });
});
