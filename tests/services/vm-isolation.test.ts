// The agent cannot reach what it does not need. The VM runs as in the image: started by the image's
// entrypoint as root, which drops to the service user with three capabilities and hands Claude's
// folders to the agent user; its relay token is in its own environment, as on Fly. The fake claude
// then plays a hostile agent: it looks for the token in every process's environment, lists the VM's
// files, tries to become root or the VM's user and to leave its run's cgroup, and leaves a process
// running in a session of its own.
import { afterEach, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, fake, freePort, startStub, tempDir, until } from "./harness";
import { loggedPid, run } from "./service-process";
import { agentFakeClaude, giveToAgent, imageEntrypoint, testAgent, testCgroup, testService } from "./agent-fixture";
import { processAlive } from "./process-tree";
import { orphanPids, type ProbeReport } from "../../sandbox/fakes/fake-claude-probes";

afterEach(cleanup);

function statusOf(pid: number): Promise<Record<string, string>> {
  return readFile(`/proc/${pid}/status`, "utf8").then((text) =>
    Object.fromEntries(text.split("\n").map((l) => [l.split(":")[0] ?? "", (l.split(":")[1] ?? "").trim()])),
  );
}

describe("the agent's isolation, with the image's entrypoint", () => {
  it("keeps the relay token and the VM's files out of the agent's reach, and nothing of a run outlives it", async () => {
    const relay = await startStub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"sent":1}');
    });
    const dataDir = await tempDir("vm-iso");
    const claudeState = await giveToAgent(await tempDir("claude-iso"));
    const port = await freePort();
    const vm = run(
      "services/vm/src/server.ts",
      {
        PORT: String(port),
        HOST: "127.0.0.1",
        RELAY_CALLBACK_URL: relay.url,
        RELAY_SHARED_TOKEN: fake.sharedToken,
        ANTHROPIC_API_KEY: "fake-anthropic-key",
        // A secret the VM may hold one day: the agent must not get it by default.
        SOME_FUTURE_SECRET: "fake-future-secret",
        DATA_DIR: dataDir,
        CLAUDE_BIN: await agentFakeClaude(),
        FAKE_CLAUDE_STATE_DIR: claudeState,
        AGENT_ENV_PASSTHROUGH: "FAKE_CLAUDE_STATE_DIR",
        AGENT_CGROUP: await testCgroup(),
      },
      await imageEntrypoint(),
    );
    await until(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok === true, 60_000, `vm up; its output: ${vm.output()}`);
    const servicePid = loggedPid(vm) ?? 0;
    // The service: the image's unprivileged user, with CAP_KILL, CAP_SETGID and CAP_SETUID only.
    const service = await statusOf(servicePid);
    expect(service.Uid?.split(/\s+/)[0]).toBe(String(testService.uid));
    expect(service.CapEff).toBe("00000000000000e0");
    expect(service.CapAmb).toBe("00000000000000e0");

    const post = (id: string, text: string) =>
      fetch(`http://127.0.0.1:${port}/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${fake.sharedToken}` },
        body: JSON.stringify({ id, from: fake.user, text, media: [] }),
      });
    // A first run leaves a session of the user's on /data for the probe to look for.
    for (const [i, text] of ["hello", "probe", "orphan"].entries()) {
      expect((await post(`SMfakeiso${i}`, text)).status).toBe(202);
      await relay.waitFor(i + 1, 60_000);
    }
    const report = JSON.parse(await readFile(join(claudeState, "probe.json"), "utf8")) as ProbeReport;

    // The VM is the agent's parent, and its environment is closed to the agent.
    expect(report.ppid).toBe(servicePid);
    expect(report.parentEnviron).toBe("EACCES");
    // The probe can read environments (its own, at least), and none it can read holds the token.
    expect(report.readableEnvirons.length).toBeGreaterThan(0);
    expect(report.tokenHolders).toEqual([]);
    expect(report.uid).toBe(testAgent.uid);
    expect(report.ownEnvironment).toEqual(expect.arrayContaining(["ANTHROPIC_API_KEY", "HOME", "PATH", "TEXTSLASH_IMAGES_DIR"]));
    expect(report.ownEnvironment).not.toContain("RELAY_SHARED_TOKEN");
    expect(report.ownEnvironment).not.toContain("SOME_FUTURE_SECRET");
    // The VM's folders on /data: none can be listed (the agent reaches its own by name).
    expect(report.dataFolders).toEqual({ ".": "EACCES", inbox: "EACCES", sessions: "EACCES", images: "EACCES" });
    // No capability, no way back to root or to the VM's user, no way out of the run's cgroup.
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapAmb"]) expect(report.status[set]).toBe("0000000000000000");
    expect(report.status.NoNewPrivs).toBe("1");
    expect(report.setuidRoot).toBe("EPERM");
    expect(report.setuidParent).toBe("EPERM");
    expect(report.leaveCgroup).toBe("EACCES");
    // What the last run left running in its own session was killed by the service, unprivileged.
    const orphans = orphanPids(claudeState);
    expect(orphans).toHaveLength(1);
    await until(() => !orphans.some(processAlive), 30_000, `grandchild ${orphans.join(", ")} outlived its run`);
  });
});
