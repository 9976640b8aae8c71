// The whole message path on the real images: a WhatsApp-style signed webhook → the relay container →
// the VM container (woken by the proxy) → the REAL Claude Code CLI, talking to the Anthropic stand-in
// with scripted conversations → the reply back through the relay to the fake Twilio. Deployed by the
// real `pulumi up` on the sandbox in container mode. Needs podman (scripts/install-containers.sh):
// without it the sandbox fails with that command, the tests are not skipped.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podman } from "../../sandbox/images/podman";
import type { ContainerRuntime } from "../../sandbox/runtime/container-runtime";
import { waitFor } from "../../sandbox/testing/wait-for";
import { startE2eSandbox, vmApp, type E2eSandbox } from "../e2e/sandbox-harness";

const TASK_TIMEOUT_SECONDS = 150;
let e2e: E2eSandbox;
const runtime = (): ContainerRuntime => e2e.sandbox.runtime as ContainerRuntime;
const texts = (): string[] => e2e.sandbox.twilio.messages.map((m) => m.body);

beforeAll(async () => {
  e2e = await startE2eSandbox({}, {
    mode: "container",
    idleMs: 20_000,
    // Sandbox-only: a short task timeout for the runaway run below, and one API retry instead of ten
    // (Claude Code retries a refused request ten times, minutes with its backoff). The timeout bounds
    // every task of this VM: the slowest ordinary one took 16 s at load 10, so 150 s leaves room for
    // a machine ten times slower (75 s left five); the runaway test pays the difference, beside the
    // other test tiers (scripts/test.sh).
    vmEnv: { TASK_TIMEOUT_SECONDS: String(TASK_TIMEOUT_SECONDS), CLAUDE_CODE_MAX_RETRIES: "0" },
  });
}, 3_600_000);

afterAll(async () => {
  await e2e?.close();
});

async function reply(predicate: (body: string) => boolean, what: string, timeoutMs = 180_000): Promise<string> {
  await waitFor(what, () => texts().some(predicate), timeoutMs, 500);
  return texts().find(predicate)!;
}

describe("the message path on the real images with the real Claude Code", () => {
  it("pulumi up deploys both apps as containers of the checkout's images; the idle VM container is stopped", async () => {
    await e2e.pulumi(["up", "--yes", "--skip-preview"]);
    expect(e2e.sandbox.mode).toBe("container");
    const vm = e2e.machine(vmApp);
    await waitFor("the idle VM to stop", () => e2e.machine(vmApp).state === "stopped", 120_000, 500);
    expect(runtime().isRunning(vm.id)).toBe(false);
    expect(e2e.lines.some((l) => l.includes(`started container`) && l.includes("localhost/textslash-relay:sandbox"))).toBe(true);
  }, 1_800_000); // up builds and pushes both images first

  it("a message that starts with '-' is the prompt, not an option of claude: '--version' gets the model's answer", async () => {
    expect((await e2e.send("--version")).status).toBe(200);
    expect(await reply((b) => b.includes("--version"), "the answer to --version")).toBe("turn 1: --version");
    expect(texts().some((b) => /\d+\.\d+\.\d+ \(Claude Code\)/.test(b))).toBe(false);
    const asked = e2e.sandbox.anthropic!.requests.filter((r) => r.turn?.prompt === "--version");
    expect(asked.length).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it("a tool turn writes a file under /data and runs a shell command, as the agent user; the answer uses the tool results", async () => {
    e2e.sandbox.anthropic!.script("write the note", [
      { tools: [{ name: "Write", input: { file_path: "/data/workspace/note.txt", content: "from the agent\n" } }] },
      { tools: [{ name: "Bash", input: { command: "cat /data/workspace/note.txt; id -un", description: "read the note back" } }] },
      (turn) => ({ text: `note done: ${turn.toolResults.map((r) => r.text.trim()).join(" / ")}` }),
    ]);
    expect((await e2e.send("please write the note")).status).toBe(200);
    expect(await reply((b) => b.startsWith("note done"), "the note's answer")).toBe("note done: from the agent\nagent");
    const vm = e2e.machine(vmApp);
    const volume = e2e.sandbox.api.state().volumes.find((v) => v.app === vmApp)!;
    const mountpoint = (await podman(["volume", "inspect", "--format", "{{.Mountpoint}}", runtime().volumeName(volume.id)])).trim();
    expect(readFileSync(path.join(mountpoint, "workspace", "note.txt"), "utf8")).toBe("from the agent\n");
    expect(vm.state).toBe("started");
  }, 300_000);

  it("a PNG made during the run by Playwright with the real browser comes back to WhatsApp as an image", async () => {
    const script = [
      "const { chromium } = require('playwright');",
      "(async () => { const b = await chromium.launch(); const p = await b.newPage({ viewport: { width: 400, height: 200 } });",
      "await p.setContent('<h1>hello from textslash</h1>');",
      "await p.screenshot({ path: process.env.TEXTSLASH_IMAGES_DIR + '/page.png' }); await b.close(); })();",
    ].join(" ");
    e2e.sandbox.anthropic!.script("take a screenshot", [
      { tools: [{ name: "Bash", input: { command: `node -e "${script}" && ls "$TEXTSLASH_IMAGES_DIR"`, description: "screenshot with Playwright", timeout: 120000 } }] },
      (turn) => ({ text: `shot taken: ${turn.toolResults.map((r) => r.text.trim()).join("")}` }),
    ]);
    expect((await e2e.send("take a screenshot please")).status).toBe(200);
    expect(await reply((b) => b.startsWith("shot taken"), "the screenshot's answer")).toBe("shot taken: page.png");
    await waitFor("the image message", () => e2e.sandbox.twilio.messages.some((m) => m.mediaUrls.length > 0), 60_000, 500);
    const image = e2e.sandbox.twilio.messages.find((m) => m.mediaUrls.length > 0)!;
    expect(image.mediaUrls[0]).toMatch(/^https:\/\/sandbox-relay\.fly\.dev\/media\/[A-Za-z0-9_-]{22}\.png$/);
    // Twilio would fetch it from the relay's public URL; here that is the proxy's public route to the relay.
    const media = await fetch(`${e2e.sandbox.proxyUrl}/_public/sandbox-relay${new URL(image.mediaUrls[0]!).pathname}`);
    expect([media.status, media.headers.get("content-type")]).toEqual([200, "image/png"]);
    const png = Buffer.from(await media.arrayBuffer());
    expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
    expect(png.length).toBeGreaterThan(1000);
  }, 300_000);

  it("the conversation continues after the VM was stopped and started again: the session is on /data", async () => {
    await waitFor("the idle VM to stop", () => e2e.machine(vmApp).state === "stopped", 120_000, 500);
    expect((await e2e.send("after the restart")).status).toBe(200);
    // Four prompts in the conversation Claude Code sent back: its history came back from /data/home.
    expect(await reply((b) => b.endsWith("after the restart"), "the answer after the restart")).toBe("turn 4: after the restart");
  }, 300_000);

  it("an Anthropic error reaches the user in plain words", async () => {
    e2e.sandbox.anthropic!.script("check the key", [{ error: 401 }]);
    expect((await e2e.send("check the key")).status).toBe(200);
    const text = await reply((b) => b.includes("(401)"), "the 401 explained");
    expect(text).toContain("Anthropic refused the API key (401). Set a valid one with `pulumi config set --secret textslash:anthropicApiKey <key>`");
    expect(e2e.sandbox.anthropic!.requests.filter((r) => r.turn?.prompt === "check the key" && r.status === 401).length).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it("a run past its timeout is killed with everything it started", async () => {
    e2e.sandbox.anthropic!.script("run forever", [
      { tools: [{ name: "Bash", input: { command: "(sleep 600 &) ; sleep 601", description: "never ends", timeout: 600000 } }] },
      { text: "should not get here" },
    ]);
    expect((await e2e.send("run forever")).status).toBe(200);
    const vm = e2e.machine(vmApp);
    await waitFor("the sleeps to run", () => {
      try {
        return execFileSync("podman", ["exec", runtime().containerName(vm.id), "pgrep", "-c", "-x", "sleep"], { encoding: "utf8" }).trim() === "2";
      } catch {
        return false;
      }
    }, 120_000, 1_000);
    const text = await reply((b) => /stopped|timed out|took longer/i.test(b) && !b.includes("should not"), "the timeout message", (TASK_TIMEOUT_SECONDS + 240) * 1000);
    expect(text).toContain(`stopped after ${TASK_TIMEOUT_SECONDS} seconds`);
    const left = await podman(["exec", runtime().containerName(vm.id), "sh", "-c", "pgrep -x sleep || echo none"]).catch((e: Error) => e.message);
    expect(left.trim()).toBe("none");
  }, 900_000);

  it("the containers' logs are where sandbox:up says", () => {
    const logs = path.join(e2e.stateDir, "logs", `${vmApp}-${e2e.machine(vmApp).id}.log`);
    expect(existsSync(logs)).toBe(true);
    expect(readFileSync(logs, "utf8")).toContain("Server listening");
  });
});
