// The relay image built from this checkout, run by the sandbox's container runtime as Fly runs a
// machine: fresh container per start, env + secrets + FLY_* injected, the volume at /data, checks
// probing the container, stop and suspend acting on it. Needs podman: without it these tests fail
// with the install command (requirePodman), they are never skipped.
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCaFile } from "../../sandbox/images/build";
import { findBuildCaLeaks } from "../../sandbox/images/ca-check";
import { podman, podmanOk, requirePodman } from "../../sandbox/images/podman";
import { ensureServiceImage, serviceImageTags } from "../../sandbox/images/service-images";
import { ContainerRuntime } from "../../sandbox/runtime/container-runtime";
import { waitFor } from "../../sandbox/testing/wait-for";

const repoRoot = path.resolve(__dirname, "../..");
const namespace = `textslash-test-${randomBytes(4).toString("hex")}`;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "relay-container-"));
const lines: string[] = [];
let runtime: ContainerRuntime;

const spec = {
  id: "e2f0relay01",
  appName: "t-relay",
  image: "ghcr.io/example/textslash-relay:1.0.0",
  env: {
    PUBLIC_URL: "https://t-relay.fly.dev",
    CLAUDE_HOST: "http://t-vm.flycast",
    TWILIO_ACCOUNT_SID: "ACfake",
    TWILIO_WHATSAPP_NUMBER: "+15550000000",
    ALLOWED_PHONE_NUMBERS: "+15550001111",
    RELAY_DATA_DIR: "/data/relay",
  },
  secrets: { TWILIO_AUTH_TOKEN: "fake-twilio-auth-token", RELAY_SHARED_TOKEN: "fake-shared-token-0123456789" },
  mounts: [{ volumeId: "vol_relaytest", path: "/data" }],
  checks: [{ name: "health", path: "/health" }],
};

beforeAll(async () => {
  await requirePodman();
  await ensureServiceImage(repoRoot, "relay", (line) => lines.push(line));
  runtime = new ContainerRuntime({
    repoRoot, stateDir, namespace, images: serviceImageTags, stopTimeoutMs: 10_000, log: (line) => lines.push(line),
  });
}, 1_200_000);

afterAll(async () => {
  await runtime?.stopAll();
  await runtime?.removeVolume("vol_relaytest");
  rmSync(stateDir, { recursive: true, force: true });
});

async function inspect(template: string): Promise<string> {
  return (await podman(["inspect", "--format", template, runtime.containerName(spec.id)])).trim();
}

describe("relay image in the container runtime", () => {
  it("starts a container of the checkout's image that passes its /health check, with Fly's env, the secrets and /data as a volume", async () => {
    const port = await runtime.start(spec);
    expect(port).toBeGreaterThan(0);
    await runtime.waitHealthy(spec.id);
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(await res.json()).toMatchObject({ ok: true, outbox: 0, lastMessageAt: null });
    expect((await runtime.checks(spec.id)).map((c) => [c.name, c.status])).toEqual([["health", "passing"]]);

    expect(await inspect("{{.ImageName}}")).toBe(serviceImageTags.relay);
    const env = JSON.parse(await inspect("{{json .Config.Env}}")) as string[];
    expect(env).toEqual(expect.arrayContaining([
      "FLY_APP_NAME=t-relay", `FLY_MACHINE_ID=${spec.id}`, "FLY_REGION=ord", "FLY_IMAGE_REF=ghcr.io/example/textslash-relay:1.0.0",
      "TWILIO_AUTH_TOKEN=fake-twilio-auth-token", "RELAY_DATA_DIR=/data/relay", `PORT=${port}`,
    ]));
    // The secret's value went through podman's environment, not its command line.
    expect(await inspect("{{json .Config.CreateCommand}}")).not.toContain("fake-twilio-auth-token");
    // The volume at /data, and the cgroup folder the runtime gives every container (a Fly machine is a VM
    // with a cgroup tree of its own: container-runtime.ts); nothing else of the host.
    const mounts = (await inspect("{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}")).trim().split(" ");
    expect(mounts.sort()).toEqual([`${runtime.volumeName("vol_relaytest")}:/data`, ":/run/cgroup2"].sort());
  });

  it("runs Node 24 as the unprivileged node user, under an init that is PID 1, and hands the root-owned volume to node", async () => {
    expect((await runtime.exec(spec.id, ["node", "--version"])).trim()).toMatch(/^v24\./);
    const status = await runtime.exec(spec.id, ["sh", "-c", "for p in /proc/[0-9]*; do if tr '\\0' ' ' < $p/cmdline | grep -q '^node /app/dist/server.js'; then grep -E '^Uid' $p/status; fi; done"]);
    expect(status.trim().split(/\s+/).slice(1)).toEqual(["1000", "1000", "1000", "1000"]);
    // podman --init: catatonit, mounted as /run/podman-init.
    expect((await runtime.exec(spec.id, ["sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"]))).toMatch(/^\/run\/podman-init -- textslash-entrypoint node/);
    expect((await runtime.exec(spec.id, ["stat", "-c", "%U", "/data/relay"])).trim()).toBe("node");
  });

  it("suspend freezes the container with its memory and start resumes the same process; stop removes it and keeps the volume", async () => {
    const pid = await inspect("{{.State.Pid}}");
    await runtime.suspend(spec.id);
    expect(await inspect("{{.State.Status}}")).toBe("paused");
    expect(runtime.portOf(spec.id)).toBeUndefined();
    expect(await runtime.checks(spec.id)).toEqual([]);
    const port = await runtime.start(spec);
    await runtime.waitHealthy(spec.id);
    expect(runtime.portOf(spec.id)).toBe(port);
    expect(await inspect("{{.State.Pid}}")).toBe(pid);
    await runtime.exec(spec.id, ["sh", "-c", "echo kept > /data/relay/marker && echo lost > /tmp/marker"], "node");

    await runtime.stop(spec.id);
    expect(await podmanOk(["container", "exists", runtime.containerName(spec.id)])).toBe(false);
    expect(runtime.portOf(spec.id)).toBeUndefined();
    expect(lines.some((l) => l.includes("SIGTERM to container"))).toBe(true);
    // The service's own shutdown line (it drained on SIGTERM) is in the machine's log, where sandbox:up points.
    const log = readFileSync(path.join(stateDir, "logs", `t-relay-${spec.id}.log`), "utf8");
    expect(log).toContain("\"signal\":\"SIGTERM\"");

    await runtime.start(spec);
    await runtime.waitHealthy(spec.id);
    expect(await inspect("{{.State.Pid}}")).not.toBe(pid);
    expect((await runtime.exec(spec.id, ["cat", "/data/relay/marker"])).trim()).toBe("kept");
    expect(await runtime.exec(spec.id, ["sh", "-c", "cat /tmp/marker 2>/dev/null || echo gone"])).toBe("gone\n");
  });

  it("a container that exits on its own is reported to the exit listeners with its exit code", async () => {
    const exits: [string, number | null][] = [];
    const off = runtime.onExit((id, code) => exits.push([id, code]));
    const bad = { ...spec, id: "e2f0relay02", env: { ...spec.env, PUBLIC_URL: "not a url" }, mounts: [] };
    await runtime.start(bad);
    await waitFor("the misconfigured relay to exit", () => exits.length > 0, 60_000);
    off();
    expect(exits).toEqual([["e2f0relay02", 1]]);
    expect(readFileSync(path.join(stateDir, "logs", "t-relay-e2f0relay02.log"), "utf8")).toContain("PUBLIC_URL");
  });

  it("ships nothing of the build machine's CA (the build secret stays out of every layer)", async () => {
    const ca = buildCaFile();
    expect(ca && existsSync(ca)).toBeTruthy();
    expect(await findBuildCaLeaks(serviceImageTags.relay, ca!)).toEqual([]);
  });
});

describe("the build-CA check", () => {
  it("finds a CA certificate that an image copied in (the check can fail)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ca-leak-"));
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=textslash test proxy CA", "-days", "1",
        "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "ca.pem")], { stdio: "ignore" });
      writeFileSync(path.join(dir, "Dockerfile"), "FROM docker.io/library/node:24.22.3-bookworm-slim\nCOPY ca.pem /usr/local/share/leaked.pem\n");
      const tag = `localhost/${namespace}-leak`;
      await podman(["build", "--pull=never", "--quiet", "-t", tag, dir]);
      try {
        expect(await findBuildCaLeaks(tag, path.join(dir, "ca.pem"))).toEqual([
          { file: "/usr/local/share/leaked.pem", problem: "holds a certificate of the build machine's own CA" },
        ]);
      } finally {
        await podman(["rmi", "--force", tag]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
