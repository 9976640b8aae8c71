// The docker stand-in through the real engine, on a one-file image: docker.Image builds with podman
// and pushes to a local registry (repoDigest = what the registry holds), an unchanged context is no
// change (no build, same digest), an edited one is an update with a new digest that preview shows
// as unknown to what uses it, the registry password is only ever a secret in state, and getRegistryImage sees a
// tag published again. Needs podman and docker-registry (scripts/install-containers.sh).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podman } from "../../sandbox/images/podman";
import { createEngineProject, repoRoot, type EngineProject } from "./harness";
import { startTestRegistry, type TestRegistry } from "./test-registry";

const password = "fake-registry-password";

const program = `
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";

const config = new pulumi.Config();
const registry = config.require("registry");
const provider = new docker.Provider("registry", { registryAuth: [{ address: "http://" + registry, username: "x", password: config.requireSecret("password") }] });
const image = new docker.Image("app", {
  imageName: registry + "/standin-app:latest",
  build: { context: "app", platform: "linux/amd64" },
  registry: { server: registry, username: "x", password: config.requireSecret("password") },
}, { provider });
export const repoDigest = image.repoDigest;
// Something that runs the image by digest, as a machine does.
export const ran = new command.local.Command("runs-it", { create: "echo running $DIGEST", environment: { DIGEST: image.repoDigest } }).stdout;
const published = config.get("published");
export const publishedDigest = published ? docker.getRegistryImageOutput({ name: published }, { provider }).sha256Digest : undefined;
`;

describe("docker stand-in", () => {
  let project: EngineProject;
  let registry: TestRegistry;
  const out = async (key: string) => (await project.stack.outputs())[key]?.value as string | undefined;

  beforeAll(async () => {
    registry = await startTestRegistry();
    project = await createEngineProject({
      files: {
        "Pulumi.yaml": "name: docker-standin\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
        "index.ts": program,
        "tsconfig.json": await readFile(join(repoRoot, "tsconfig.json"), "utf8").then((raw) =>
          JSON.stringify({ compilerOptions: JSON.parse(raw).compilerOptions, include: ["index.ts"] }),
        ),
        "package.json": JSON.stringify({ name: "docker-standin", private: true }),
        "app/Dockerfile": "FROM scratch\nCOPY message /message\n",
        "app/message": "one\n",
        "app/.dockerignore": "*.log\n",
      },
    });
    await project.stack.setAllConfig({
      "docker-standin:registry": { value: registry.host },
      "docker-standin:password": { value: password, secret: true },
    });
  }, 300_000);

  afterAll(async () => {
    await project?.cleanup();
    await podman(["rmi", "--ignore", `${registry?.host}/standin-app:latest`]).catch(() => undefined);
    await registry?.stop();
  });

  it("builds and pushes; repoDigest is the registry's digest of the pushed tag", async () => {
    await project.stack.up();
    const digest = await registry.digestOf("standin-app", "latest");
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await out("repoDigest")).toBe(`${registry.host}/standin-app@${digest}`);
    expect(await out("ran")).toBe(`running ${registry.host}/standin-app@${digest}`);
  }, 600_000);

  it("an unchanged context (an ignored file aside) is no change: nothing built, same digest", async () => {
    const before = await out("repoDigest");
    await writeFile(join(project.dir, "app", "build.log"), "ignored by .dockerignore\n");
    const preview = await project.cli(["preview", "--expect-no-changes"]);
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    const up = await project.stack.up();
    expect(up.summary.resourceChanges).not.toHaveProperty("update");
    expect(await out("repoDigest")).toBe(before);
  }, 600_000);

  it("an edited file is an update (never a replacement): preview shows it, up pushes a new digest", async () => {
    const before = await out("repoDigest");
    await writeFile(join(project.dir, "app", "message"), "two\n");
    const preview = await project.cli(["preview", "--diff"]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/~ docker:index\/image:Image: \(update\)/);
    expect(preview.stdout).toContain("contextDigest");
    // What runs the image sees its digest as not known until the build: an update of its own.
    expect(preview.stdout).toMatch(/~ command:local:Command: \(update\)[\s\S]*~ DIGEST: "[^"]+" => \[unknown\]/);
    const up = await project.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ update: 2 });
    const after = await out("repoDigest");
    expect(await out("ran")).toBe(`running ${after}`);
    expect(after).not.toBe(before);
    expect(after).toBe(`${registry.host}/standin-app@${await registry.digestOf("standin-app", "latest")}`);
  }, 600_000);

  it("the registry password is only ever a secret in the state", async () => {
    const state = await project.readStateFile();
    expect(state).not.toContain(password);
    const revealed = (await project.cli(["stack", "export", "--show-secrets"])).stdout;
    expect(revealed).toContain(password);
  }, 300_000);

  it("getRegistryImage reads the digest a tag has now: a tag published again is a new digest", async () => {
    const v1 = await registry.publish("published/app", "v1");
    await project.stack.setConfig("docker-standin:published", { value: v1.ref });
    await project.stack.up();
    expect(await out("publishedDigest")).toBe(v1.digest);
    const again = await registry.publish("published/app", "v1");
    expect(again.digest).not.toBe(v1.digest);
    await project.stack.up();
    expect(await out("publishedDigest")).toBe(again.digest);
  }, 600_000);

  it("destroy deletes nothing from the registry (docker.Image keeps pushed tags)", async () => {
    const digest = await registry.digestOf("standin-app", "latest");
    await project.stack.destroy();
    expect(await registry.digestOf("standin-app", "latest")).toBe(digest);
  }, 300_000);
});
