// `pulumi up` and `preview` transpile the program without type-checking it (CI's tsc checks it):
// Pulumi.yaml points the nodejs runtime at tsconfig.pulumi.json, and @pulumi/pulumi's cmd/run
// turns that file's own `noCheck` into ts-node's transpileOnly. Asked of Pulumi's own reader
// (tsutils.loadTypeScriptCompilerOptions, what cmd/run/run.js calls), because it ignores
// `extends`: a noCheck inherited from another file would not count.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const repoRoot = path.resolve(__dirname, "..", "..");
const tsutils = createRequire(__filename)("@pulumi/pulumi/tsutils") as { loadTypeScriptCompilerOptions(p: string): Record<string, unknown> };
const project = parse(readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as { main: string; runtime: { options?: { typescript?: boolean; tsconfig?: string } } };

describe("deploy-time TypeScript", () => {
  const tsconfig = project.runtime.options?.tsconfig;

  it("the runtime's tsconfig exists and turns type-checking off as Pulumi reads it", () => {
    expect(project.runtime.options?.typescript).toBe(true);
    expect(tsconfig).toBe("tsconfig.pulumi.json");
    const file = path.join(repoRoot, tsconfig!);
    expect(existsSync(file)).toBe(true);
    expect(tsutils.loadTypeScriptCompilerOptions(file).noCheck).toBe(true);
  });

  it("emits what tsconfig.json says, for the program's entry point", () => {
    const read = (name: string) => {
      const file = path.join(repoRoot, name);
      const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(file, ts.sys.readFile).config, ts.sys, repoRoot, undefined, file);
      expect(parsed.errors).toEqual([]);
      return parsed;
    };
    const deploy = read(tsconfig!);
    const checked = read("tsconfig.json");
    expect(deploy.fileNames).toEqual([path.join(repoRoot, project.main)]);
    const { noCheck, ...emitted } = deploy.options;
    expect(noCheck).toBe(true);
    // Pulumi spreads the file's own compilerOptions over its defaults, so they must say the target.
    expect(tsutils.loadTypeScriptCompilerOptions(path.join(repoRoot, tsconfig!)).target).toBe("es2022");
    expect({ ...emitted, configFilePath: undefined }).toEqual({ ...checked.options, configFilePath: undefined });
  });
});
