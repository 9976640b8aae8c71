// The VM image built from this checkout (BROWSER=debian) gives the agent what the product promises:
// Node 24 with no package that refuses it, the real Claude Code CLI, Playwright driving Chromium as
// the unprivileged agent user, git, gh, and the GitHub token for git when one is configured (proved
// against a local git server that demands it). Needs podman; fails with the install command without.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCaFile } from "../../sandbox/images/build";
import { findBuildCaLeaks } from "../../sandbox/images/ca-check";
import { podman, requirePodman } from "../../sandbox/images/podman";
import { ensureServiceImage, serviceImageTags } from "../../sandbox/images/service-images";
import { startGitServer, type GitServer } from "./git-server";

const repoRoot = path.resolve(__dirname, "../..");
const name = `textslash-test-vm-${randomBytes(4).toString("hex")}`;
const token = `ghp_faketoken${randomBytes(6).toString("hex")}`;
let git: GitServer;

beforeAll(async () => {
  await requirePodman();
  await ensureServiceImage(repoRoot, "vm");
  git = await startGitServer(token);
  // The image alone (no service): a shell that stays up so the tests can exec into it.
  await podman(["run", "-d", "--rm", "--name", name, "--network", "host", "--init", "--no-healthcheck", "--entrypoint", "sleep", serviceImageTags.vm, "infinity"]);
}, 1_800_000);

afterAll(async () => {
  await podman(["rm", "--force", "--time", "0", name]).catch(() => undefined);
  await git?.stop();
});

/** Runs a shell command in the container as `user` (the agent by default), with extra env. */
function sh(command: string, env: Record<string, string> = {}, user = "agent"): Promise<string> {
  const envArgs = Object.entries({ HOME: "/tmp/agent-home", ...env }).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  return podman(["exec", "--user", user, "--workdir", "/tmp", ...envArgs, name, "sh", "-c", `mkdir -p "$HOME" && ${command}`], { timeoutMs: 180_000 });
}

describe("VM image", () => {
  it("runs Node 24, and no installed package declares an engine range that excludes it", async () => {
    expect((await sh("node --version")).trim()).toMatch(/^v24\./);
    const script = [
      "const fs = require('fs'), path = require('path');",
      "const semver = require('/usr/local/lib/node_modules/npm/node_modules/semver');",
      "const bad = [];",
      "const walk = (dir) => { for (const n of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {",
      "  const d = path.join(dir, n); if (n.startsWith('@')) { walk(d); continue; }",
      "  const p = path.join(d, 'package.json'); if (!fs.existsSync(p)) continue;",
      "  const pkg = JSON.parse(fs.readFileSync(p, 'utf8')); const range = pkg.engines && pkg.engines.node;",
      "  if (range && !semver.satisfies(process.version, range, { includePrerelease: true })) bad.push(pkg.name + ' ' + range);",
      "  walk(path.join(d, 'node_modules')); } };",
      "walk('/usr/local/lib/node_modules'); walk('/app/node_modules');",
      "console.log(JSON.stringify(bad));",
    ].join("\n");
    expect(JSON.parse(await sh(`echo ${Buffer.from(script).toString("base64")} | base64 -d > /tmp/agent-home/engines.js && node /tmp/agent-home/engines.js`))).toEqual([]);
  });

  it("has the real Claude Code CLI of the pinned version, runnable by the agent", async () => {
    expect((await sh("claude --version")).trim()).toBe("2.1.332 (Claude Code)");
  });

  it("lets the agent drive Chromium with Playwright (plain chromium.launch()) and save a PNG screenshot", async () => {
    const script = [
      "const { chromium } = require('playwright');",
      "(async () => {",
      "  const browser = await chromium.launch();",
      "  const page = await browser.newPage({ viewport: { width: 320, height: 200 } });",
      "  await page.setContent('<h1 style=\"color:#c00\">textslash</h1>');",
      "  await page.screenshot({ path: '/tmp/agent-home/shot.png' });",
      "  console.log(await page.textContent('h1'), browser.version());",
      "  await browser.close();",
      "})().catch((e) => { console.error(e); process.exit(1); });",
    ].join("\n");
    const out = await sh(`echo ${Buffer.from(script).toString("base64")} | base64 -d > /tmp/agent-home/shot.js && node /tmp/agent-home/shot.js`);
    expect(out).toMatch(/^textslash \d+\./);
    expect((await sh("id -un; head -c 8 /tmp/agent-home/shot.png | od -An -tx1 | tr -d ' \\n'")).trim()).toBe("agent\n89504e470d0a1a0a");
  });

  it("git uses the configured GitHub token for the GitHub host (GH_HOST here) and for nothing else", async () => {
    git.createRepo("project.git");
    const push = `git clone --quiet ${git.url}/project.git && cd project && git -c user.name=agent -c user.email=agent@example.com commit --quiet --allow-empty -m "from the agent" && git push --quiet origin HEAD:main && echo pushed`;
    const env = { GH_TOKEN: token, GITHUB_TOKEN: token, GH_HOST: git.host, GIT_TERMINAL_PROMPT: "0" };
    expect((await sh(`rm -rf project && ${push}`, env)).trim()).toBe("pushed");
    expect(git.log("project.git")).toBe("agent: from the agent\n");
    expect(git.requests.some((r) => r.authorized)).toBe(true);

    // Another host (no GH_HOST) gets no token: git is refused and nothing is pushed.
    const before = git.requests.filter((r) => r.authorized).length;
    await expect(sh(`rm -rf project && ${push}`, { GH_TOKEN: token, GIT_TERMINAL_PROMPT: "0" })).rejects.toThrow(/Authentication failed|could not read Username/);
    expect(git.requests.filter((r) => r.authorized).length).toBe(before);
    // A wrong token is refused by the server.
    await expect(sh(`rm -rf project && ${push}`, { ...env, GH_TOKEN: "ghp_wrong", GITHUB_TOKEN: "ghp_wrong" })).rejects.toThrow(/Authentication failed/);
  });

  it("has gh, which reads the token from GH_TOKEN", async () => {
    expect(await sh("gh --version")).toMatch(/^gh version 2\./);
    expect((await sh("gh auth token", { GH_TOKEN: token })).trim()).toBe(token);
  });

  it("ships nothing of the build machine's CA", async () => {
    expect(await findBuildCaLeaks(serviceImageTags.vm, buildCaFile()!)).toEqual([]);
  });
});
