// What the VM's agent isolation needs in a test: a uid and gid of no account on this machine (setpriv
// takes numbers, so nothing is added to /etc/passwd) and a cgroup v2 folder of the test's own. Both
// need root, as the image's entrypoint has: without them the tests fail and say how to fix it.
//
// The agent and the service user must reach what they run wherever the checkout lives: a clone in a
// folder only root may enter (`mktemp -d` makes it 0700, as a CI clone may be) is out of their reach,
// so the agent gets its own copy of the fake claude and the service sees the checkout through a bind
// mount at a path it can walk.
import { chmod, chown, mkdir, readFile, readdir, rmdir, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import ts from "typescript";
import { deferCleanup, tempDir } from "./harness";
import { repoRoot } from "./service-process";

/** The test agent: a uid/gid with no account here, so it owns nothing but what the tests give it. */
export const testAgent = { uid: 61616, gid: 61616 };

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified in hybrid mode). */
export async function cgroup2Mount(): Promise<string | undefined> {
  const mounts = await readFile("/proc/self/mounts", "utf8");
  return mounts
    .split("\n")
    .map((l) => l.split(" "))
    .find((f) => f[2] === "cgroup2")?.[1];
}

/** A cgroup folder for one test's VM, killed (with anything left in it) and removed after the test. */
export async function testCgroup(): Promise<string> {
  if (process.getuid?.() !== 0) {
    throw new Error("the VM tests run Claude as a separate user in a cgroup, as the image does: run them as root (CI and the project's machines do)");
  }
  const mount = await cgroup2Mount();
  if (!mount) throw new Error("no cgroup v2 mount: the VM tests need one (as root: mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified)");
  const dir = join(mount, `textslash-test-${randomBytes(6).toString("hex")}`);
  await mkdir(dir);
  deferCleanup(() => removeCgroup(dir));
  return dir;
}

async function removeCgroup(dir: string): Promise<void> {
  // cgroup.kill reaches every descendant cgroup too: nothing a test started survives it.
  await writeFile(join(dir, "cgroup.kill"), "1");
  const deadline = Date.now() + 60_000;
  while (!/^populated 0$/m.test(await readFile(join(dir, "cgroup.events"), "utf8"))) {
    if (Date.now() > deadline) throw new Error(`processes in ${dir} survived cgroup.kill for a minute`);
    await sleep(20);
  }
  for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isDirectory()) await rmdir(join(dir, entry.name));
  await rmdir(dir);
}

/** The VM's variables for isolation in `cgroup`, as the image's entrypoint sets them. */
export function agentEnv(cgroup: string): Record<string, string> {
  return { AGENT_UID: String(testAgent.uid), AGENT_GID: String(testAgent.gid), AGENT_CGROUP: cgroup };
}

/** A folder the agent may write (the fake claude's state). */
export async function giveToAgent(dir: string): Promise<string> {
  await chown(dir, testAgent.uid, testAgent.gid);
  return dir;
}

/** The image's service user ("node") for tests of the entrypoint: again ids of no account here. */
export const testService = { uid: 61617, gid: 61617 };

/**
 * A command prefix that runs the image's entrypoint as it runs on Fly, as root, in a mount namespace
 * of its own whose /etc/passwd and /etc/group also name the image's users ("node" is testService,
 * "agent" testAgent): the script runs unchanged and this machine gets no accounts. --kill-child: the
 * whole namespace dies with the unshare process a test holds. The command must name the service's
 * files relative to the working folder, which is the checkout's view.
 */
export async function imageEntrypoint(): Promise<string[]> {
  const dir = await tempDir("image-users");
  const others = async (file: string) => (await readFile(file, "utf8")).split("\n").filter((l) => l !== "" && !/^(node|agent):/.test(l));
  const passwd = join(dir, "passwd");
  const group = join(dir, "group");
  await writeFile(passwd, [...(await others("/etc/passwd")), `node:x:${testService.uid}:${testService.gid}:test service:/nonexistent:/usr/sbin/nologin`, `agent:x:${testAgent.uid}:${testAgent.gid}:test agent:/data/home:/bin/sh`, ""].join("\n"));
  await writeFile(group, [...(await others("/etc/group")), `node:x:${testService.gid}:`, `agent:x:${testAgent.gid}:node`, ""].join("\n"));
  await chmod(passwd, 0o644);
  await chmod(group, 0o644);
  // The checkout as the service user can reach it: bound at a folder any user may enter, and the
  // working folder (service-process.ts runs the service by a path relative to it).
  const view = await sharedTempDir("checkout-view");
  const bind = 'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && mount --bind "$3" "$4" && cd "$4" && shift 4 && exec "$@"';
  return ["unshare", "--mount", "--fork", "--kill-child", "--", "sh", "-c", bind, "sh", passwd, group, repoRoot, view, join(view, "services/vm/docker-entrypoint.sh")];
}

/** The first folder on the way to `path` that other users may not enter, if any. */
export async function privateAncestor(path: string): Promise<string | undefined> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** A temporary folder other users may enter and read (mkdtemp makes them 0700). */
async function sharedTempDir(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  const blocked = await privateAncestor(dir);
  if (blocked) throw new Error(`the test agent cannot reach ${dir}: ${blocked} is closed to other users; set TMPDIR to a folder they may enter, such as /tmp`);
  await chmod(dir, 0o755);
  return dir;
}

const fakeClaudeSources = ["fake-claude.ts", "fake-claude-probes.ts", "fake-claude-hold.ts"];
let fakeClaudeJs: Promise<Map<string, string>> | undefined;

/**
 * The fake claude as the agent runs it: compiled to CommonJS (the agent has no tsx of its own)
 * beside a wrapper, in a folder of the test's own that any user may read, run by the `node` on the
 * agent's PATH. The checkout's sandbox/fakes/fake-claude stays for runs as the test's own user.
 */
export async function agentFakeClaude(): Promise<string> {
  fakeClaudeJs ??= Promise.all(
    fakeClaudeSources.map(async (name) => {
      const source = await readFile(join(repoRoot, "sandbox", "fakes", name), "utf8");
      const output = ts.transpileModule(source, {
        fileName: name,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      return [name.replace(/\.ts$/, ".js"), output] as const;
    }),
  ).then((files) => new Map(files));
  const dir = await sharedTempDir("agent-claude");
  await writeFile(join(dir, "package.json"), '{ "type": "commonjs" }\n', { mode: 0o644 });
  for (const [name, text] of await fakeClaudeJs) await writeFile(join(dir, name), text, { mode: 0o644 });
  const bin = join(dir, "fake-claude");
  await writeFile(bin, '#!/bin/sh\nexec node "$(dirname "$0")/fake-claude.js" "$@"\n', { mode: 0o755 });
  return bin;
}
