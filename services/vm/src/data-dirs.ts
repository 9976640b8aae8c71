// /data's layout. Made at every start: the Fly volume mounted there hides whatever the image had.
// With isolation, who may read what: the inbox and sessions are the VM's alone (0700), the agent
// owns its workspace and HOME, and each run's image folder is shared through the agent's group.
import { chmod, chown, lstat, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { AgentIsolation } from "./env";

export interface DataDirs {
  root: string;
  inbox: string;
  sessions: string;
  images: string;
  workspace: string;
  home: string;
}

export function dataDirs(root: string): DataDirs {
  return {
    root,
    inbox: join(root, "inbox"),
    sessions: join(root, "sessions"),
    images: join(root, "images"),
    workspace: join(root, "workspace"),
    // Claude Code keeps its conversation history under $HOME/.claude; on /data it survives restarts.
    home: join(root, "home"),
  };
}

export async function ensureDataDirs(dirs: DataDirs, agent?: AgentIsolation): Promise<void> {
  for (const dir of [dirs.inbox, dirs.sessions, dirs.images, dirs.workspace, dirs.home]) {
    await mkdir(dir, { recursive: true });
  }
  if (!agent) return;
  // The agent passes through /data and /data/images (to its run's folder) but lists, reads and
  // replaces nothing of the VM's own there.
  await chmod(dirs.root, 0o711);
  await chmod(dirs.images, 0o711);
  await chmod(dirs.inbox, 0o700);
  await chmod(dirs.sessions, 0o700);
  if (process.getuid?.() === 0) {
    // Tests and a root sandbox; in the image the entrypoint does this as root before dropping root.
    for (const dir of [dirs.workspace, dirs.home]) await chown(dir, agent.uid, agent.gid);
  }
  const wrong = [];
  for (const dir of [dirs.workspace, dirs.home]) if ((await stat(dir)).uid !== agent.uid) wrong.push(dir);
  if (wrong.length) {
    throw new Error(`${wrong.join(" and ")} must be owned by the agent (uid ${agent.uid}): the image's entrypoint sets this up as root (see docs/services.md)`);
  }
}

/**
 * A run's image folder, where the VM saves the user's photos and Claude its images: the VM's, with the
 * agent's group allowed in. /data/images itself stays closed to the agent, so it cannot swap a run's
 * folder for a link to somewhere else.
 */
export async function makeRunFolder(dir: string, agent?: AgentIsolation): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (!agent) return;
  const info = await lstat(dir);
  if (!info.isDirectory() || info.uid !== process.getuid?.()) throw new Error(`${dir} is not a folder of the VM's own`);
  // Changing a group needs no privilege for an owner who belongs to it (the image adds the VM's
  // user to the agent's group); mkdir's mode passes through the umask, so set it outright.
  await chown(dir, info.uid, agent.gid);
  await chmod(dir, 0o770);
}
