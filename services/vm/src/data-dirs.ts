// /data's layout. Made at every start: the Fly volume mounted there hides whatever the image had.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

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

export async function ensureDataDirs(dirs: DataDirs): Promise<void> {
  for (const dir of [dirs.inbox, dirs.sessions, dirs.images, dirs.workspace, dirs.home]) {
    await mkdir(dir, { recursive: true });
  }
}
