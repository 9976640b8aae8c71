// The docker stand-in's pure parts against pulumi-docker (provider.go Check/Diff/hashContext,
// image.go getRegistryAddrForAuth) and terraform-provider-docker v4.5.0 (parseImageOptions,
// canonicalizeRegistryAddress): no podman, no registry.
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secret, UNKNOWN } from "../host/values";
import { goFileMode, hashContext, ignoreMatcher, readIgnorePatterns } from "./context-hash";
import { checkImage, diffImage, hostPlatform, recordedInputs } from "./image";
import { canonicalizeRegistryAddress, parseImageOptions, parseNamed, parseNormalizedNamed, registryAddrForAuth, repoDigestOf } from "./references";
import { registryAuthFromConfig } from "./registry-image";

describe("image references", () => {
  it.each([
    ["node:24", "docker.io/library/node:24"],
    ["docker.io/node", "docker.io/library/node"],
    ["index.docker.io/me/app", "docker.io/me/app"],
    ["registry.fly.io/me-relay:latest", "registry.fly.io/me-relay:latest"],
    ["127.0.0.1:5000/a/b@sha256:" + "a".repeat(64), "127.0.0.1:5000/a/b@sha256:" + "a".repeat(64)],
  ])("ParseNormalizedNamed(%s)", (input, normalized) => {
    const r = parseNormalizedNamed(input);
    expect(`${r.domain}/${r.path}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`).toBe(normalized);
  });

  it("ParseNamed refuses names that are not canonical; the Image asks for a fully qualified name", () => {
    expect(() => parseNamed("myapp:1")).toThrow("repository name must be canonical");
    expect(() => registryAddrForAuth("", "myapp:1")).toThrow('"myapp:1": repository name must be canonical.\nThis resource requires all image names to be fully qualified.');
    expect(registryAddrForAuth("", "registry.fly.io/me-relay:latest")).toBe("registry.fly.io");
    expect(registryAddrForAuth("https://registry.fly.io/v2/", "x")).toBe("registry.fly.io");
    expect(registryAddrForAuth("", "docker.io/me/app:1")).toBe("https://index.docker.io/v1/");
  });

  it("repoDigest is the name without its tag, at the pushed digest", () => {
    expect(repoDigestOf("registry.fly.io/me-relay:latest", "sha256:abc")).toBe("registry.fly.io/me-relay@sha256:abc");
  });

  it.each([
    ["ghcr.io/owner/textslash-relay:v1", { registry: "ghcr.io", repository: "owner/textslash-relay", tag: "v1" }],
    ["127.0.0.1:5000/relay", { registry: "127.0.0.1:5000", repository: "relay", tag: "latest" }],
    ["nginx:1.28@sha256:abcd", { registry: "registry-1.docker.io", repository: "library/nginx", tag: "sha256:abcd" }],
    ["me/app", { registry: "registry-1.docker.io", repository: "me/app", tag: "latest" }],
  ])("parseImageOptions(%s)", (input, expected) => {
    expect(parseImageOptions(input)).toEqual(expected);
  });

  it("registryAuth addresses: https:// unless http:// is written; keyed by host", () => {
    expect(canonicalizeRegistryAddress("registry.fly.io")).toBe("https://registry.fly.io");
    expect(canonicalizeRegistryAddress("http://127.0.0.1:5000/")).toBe("http://127.0.0.1:5000");
    const auths = registryAuthFromConfig({ registryAuth: JSON.stringify([{ address: "http://127.0.0.1:5000", username: "x", password: "fake" }]) });
    expect(auths.get("127.0.0.1:5000")).toEqual({ serverAddress: "http://127.0.0.1:5000", username: "x", password: "fake" });
    expect(registryAuthFromConfig({ registryAuth: [{ address: "registry.fly.io", username: "x", password: secret("fake") }] }).get("registry.fly.io")?.password).toBe("fake");
  });
});

describe("build context digest", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ctx-hash-"));
    await mkdir(path.join(dir, "app", "src"), { recursive: true });
    await mkdir(path.join(dir, "app", "node_modules", "x"), { recursive: true });
    await writeFile(path.join(dir, "app", "Dockerfile"), "FROM scratch\n");
    await writeFile(path.join(dir, "app", ".dockerignore"), "# deps\nnode_modules\n/dist/\n*.log\n!keep.log\n");
    await writeFile(path.join(dir, "app", "src", "a.ts"), "a");
    await writeFile(path.join(dir, "app", "node_modules", "x", "i.js"), "i");
    await writeFile(path.join(dir, "app", "debug.log"), "d");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads .dockerignore as ignorefile.ReadAll does and matches as patternmatcher does", () => {
    expect(readIgnorePatterns("# c\n node_modules \n/dist/\n!keep.log\n\n")).toEqual(["node_modules", "dist", "!keep.log"]);
    const ignored = ignoreMatcher(["node_modules", "*.log", "!keep.log", "**/tmp", "src/*.gen"]);
    expect(["node_modules/x/i.js", "debug.log", "a/b/tmp/f", "tmp", "src/x.gen"].map(ignored)).toEqual([true, true, true, true, true]);
    expect(["keep.log", "src/a.ts", "sub/debug.log", "src/deep/x.gen"].map(ignored)).toEqual([false, false, false, false]);
  });

  it("Go's FileMode strings", () => {
    expect(goFileMode(0, false)).toBe("----------");
    expect(goFileMode(0o644, false)).toBe("-rw-r--r--");
    expect(goFileMode(0o755, false)).toBe("-rwxr-xr-x");
    expect(goFileMode(0o777, true)).toBe("Lrwxrwxrwx");
  });

  it("is the accumulator's sha256: the Dockerfile as \"Dockerfile\" first, then every kept file", async () => {
    const file = (name: string, mode: string, content: string) =>
      Buffer.concat([Buffer.from(name), Buffer.from(mode), createHash("sha256").update(content).digest(), Buffer.from([0])]);
    const expected = createHash("sha256")
      .update(Buffer.concat([file("Dockerfile", "----------", "FROM scratch\n"), file(".dockerignore", "-rw-r--r--", "# deps\nnode_modules\n/dist/\n*.log\n!keep.log\n"), file("Dockerfile", "-rw-r--r--", "FROM scratch\n"), file("src/a.ts", "-rw-r--r--", "a")]))
      .digest("hex");
    await chmod(path.join(dir, "app", "src", "a.ts"), 0o644);
    expect(hashContext("app", "app/Dockerfile", dir)).toBe(expected);
  });

  it("changes with a kept file's content, name or mode; not with an ignored file", async () => {
    const before = hashContext("app", "app/Dockerfile", dir);
    await writeFile(path.join(dir, "app", "node_modules", "x", "i.js"), "changed");
    await writeFile(path.join(dir, "app", "other.log"), "ignored");
    expect(hashContext("app", "app/Dockerfile", dir)).toBe(before);
    await chmod(path.join(dir, "app", "src", "a.ts"), 0o755);
    expect(hashContext("app", "app/Dockerfile", dir)).not.toBe(before);
    await chmod(path.join(dir, "app", "src", "a.ts"), 0o644);
    expect(hashContext("app", "app/Dockerfile", dir)).toBe(before);
    await writeFile(path.join(dir, "app", "src", "a.ts"), "b");
    expect(hashContext("app", "app/Dockerfile", dir)).not.toBe(before);
    await writeFile(path.join(dir, "app", "src", "a.ts"), "a");
    await symlink("src/a.ts", path.join(dir, "app", "link.ts"));
    expect(hashContext("app", "app/Dockerfile", dir)).not.toBe(before);
    await rm(path.join(dir, "app", "link.ts"));
  });

  it("check fills the defaults, adds the digest and refuses what the real Check refuses", () => {
    const logs: string[] = [];
    const checked = checkImage({ imageName: "registry.fly.io/me-relay:latest", build: { context: "app" } }, (m) => logs.push(m), dir);
    expect(checked).toMatchObject({
      buildOnPreview: false,
      build: { context: "app", dockerfile: "app/Dockerfile", platform: hostPlatform, contextDigest: hashContext("app", "app/Dockerfile", dir) },
    });
    expect(logs[0]).toContain(`Building your image for ${hostPlatform} architecture.`);
    expect(() => checkImage({ imageName: "registry.fly.io/x:1", build: { context: "app", dockerfile: "Dockerfile" } }, () => undefined, dir)).toThrow(
      'could not open dockerfile at relative path "Dockerfile". Try setting `dockerfile` to "app/Dockerfile"',
    );
    expect(() => checkImage({ imageName: "me-relay:latest", build: { context: "app", platform: "linux/amd64" } }, () => undefined, dir)).toThrow("fully qualified");
    expect(checkImage({ imageName: "me-relay:latest", skipPush: true, build: { context: "app", platform: "linux/amd64" } }, () => undefined, dir)).toMatchObject({ skipPush: true });
    // During preview a context that is not known yet gets no digest.
    expect((checkImage({ imageName: UNKNOWN, build: { context: UNKNOWN, platform: "linux/amd64" } }, () => undefined, dir).build as Record<string, unknown>).contextDigest).toBeUndefined();
  });

  it("diff: any input change updates (never replaces); a new registry password alone is no change", () => {
    const old = { imageName: "r.io/a:1", build: { context: "app", contextDigest: "1" }, registry: { server: "r.io", username: "x", password: secret("one") } };
    const state = { repoDigest: "r.io/a@sha256:1", __inputs: secret(old) };
    expect(recordedInputs(state)).toEqual(old);
    expect(diffImage(old, { ...old })).toEqual({ changes: false, detailedDiff: {} });
    expect(diffImage(old, { ...old, registry: { server: "r.io", username: "x", password: secret("two") } })).toEqual({ changes: false, detailedDiff: {} });
    expect(diffImage(old, { ...old, build: { context: "app", contextDigest: "2" } })).toEqual({ changes: true, detailedDiff: { build: "update" } });
    expect(diffImage(old, { ...old, registry: { server: "s.io", username: "x", password: secret("one") } })).toEqual({ changes: true, detailedDiff: { registry: "update" } });
    expect(diffImage(old, { ...old, skipPush: true })).toEqual({ changes: true, detailedDiff: { skipPush: "add" } });
  });
});
