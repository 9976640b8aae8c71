// The offline toolchain end to end: the pinned CLI, our language host and the dynamic-provider
// plugin run a throwaway program with one dynamic resource through up, a no-change preview, an
// update and destroy, with a local file backend and no network.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineProject, pulumiBinDir, repoRoot, type EngineProject } from "./harness";

const program = `
import * as pulumi from "@pulumi/pulumi";
import { appendFileSync } from "node:fs";

interface NoteInputs { value: string; journal: string }

// Writes every call to a journal file so the test can see the provider process really ran.
const noteProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: NoteInputs) {
    appendFileSync(inputs.journal, "create " + inputs.value + "\\n");
    return { id: "note-1", outs: inputs };
  },
  async diff(_id: string, olds: NoteInputs, news: NoteInputs) {
    return { changes: olds.value !== news.value };
  },
  async update(_id: string, olds: NoteInputs, news: NoteInputs) {
    appendFileSync(news.journal, "update " + olds.value + " -> " + news.value + "\\n");
    return { outs: news };
  },
  async delete(_id: string, props: NoteInputs) {
    appendFileSync(props.journal, "delete " + props.value + "\\n");
  },
};

class Note extends pulumi.dynamic.Resource {
  constructor(name: string, args: { value: pulumi.Input<string>; journal: string }) {
    super(noteProvider, name, args, {});
  }
}

const config = new pulumi.Config();
const note = new Note("note", { value: config.require("value"), journal: config.require("journal") });
export const noteId = note.id;
`;

describe("offline pulumi toolchain", () => {
  let project: EngineProject;
  let journal: string;

  beforeAll(async () => {
    project = await createEngineProject({
      files: {
        "Pulumi.yaml": "name: toolchain-check\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
        "index.ts": program,
        "tsconfig.json": await readFile(join(repoRoot, "tsconfig.json"), "utf8").then((raw) =>
          JSON.stringify({ compilerOptions: JSON.parse(raw).compilerOptions, include: ["index.ts"] }),
        ),
        "package.json": JSON.stringify({ name: "toolchain-check", private: true }),
      },
    });
    journal = join(project.dir, "journal.log");
    await project.stack.setAllConfig({ value: { value: "one" }, journal: { value: journal } });
  });

  afterAll(async () => {
    await project?.cleanup();
  });

  it("uses the CLI version package.json pins", async () => {
    const pinned = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
    const { stdout } = await promisify(execFile)(join(await pulumiBinDir(), "pulumi"), ["version"]);
    expect(stdout.trim()).toBe(`v${pinned}`);
  });

  it("creates the resource on up", async () => {
    const result = await project.stack.up();
    expect(result.summary.result).toBe("succeeded");
    expect(result.summary.resourceChanges).toEqual({ create: 2 });
    expect(result.outputs.noteId?.value).toBe("note-1");
    expect(await readFile(journal, "utf8")).toBe("create one\n");
  });

  it("previews no changes when nothing changed", async () => {
    const preview = await project.stack.preview({ expectNoChanges: true, diff: true });
    expect(preview.changeSummary).toEqual({ same: 2 });
  });

  it("shows a changed input as an update, then applies it", async () => {
    await project.stack.setConfig("value", { value: "two" });
    const preview = await project.stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ same: 1, update: 1 });
    expect(preview.stdout).toMatch(/~ value\s*: "one" => "two"/);

    // The CLI itself must refuse to call this a no-change plan.
    const strict = await project.cli(["preview", "--expect-no-changes"]);
    expect(strict.code).not.toBe(0);

    const result = await project.stack.up();
    expect(result.summary.resourceChanges).toEqual({ same: 1, update: 1 });
    expect(await readFile(journal, "utf8")).toBe("create one\nupdate one -> two\n");
  });

  it("removes the resource on destroy", async () => {
    const result = await project.stack.destroy();
    expect(result.summary.resourceChanges).toEqual({ delete: 2 });
    expect(await readFile(journal, "utf8")).toBe("create one\nupdate one -> two\ndelete two\n");
    const state = await project.stack.exportStack();
    expect(state.deployment.resources ?? []).toEqual([]);
  });
});
