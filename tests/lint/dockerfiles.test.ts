// Lints the services' Dockerfiles: the Dockerfile language server's validator (dockerfile-utils)
// for syntax, plus the project's own rules: multi-stage, pinned bases and tools, a HEALTHCHECK,
// and a final stage that never runs the service as root.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { validate } from "dockerfile-utils";

const root = resolve(__dirname, "../..");
const services = [
  { name: "relay", port: "3000" },
  { name: "vm", port: "3001" },
];

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
function instructions(content: string): Instruction[] {
  const joined = content
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => {
      const [keyword = "", ...rest] = l.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

/** Every rule the project's Dockerfiles must meet; each problem says what and how to fix it. */
export function projectRuleProblems(content: string, readFile: (path: string) => string): string[] {
  const problems: string[] = [];
  const all = instructions(content);
  const args = new Map<string, string>();
  for (const i of all.filter((x) => x.keyword === "ARG")) {
    const [name, value] = i.args.split("=");
    if (name && value) args.set(name, value);
  }
  const stages: Instruction[][] = [];
  const stageNames = new Set<string>();
  for (const i of all) {
    if (i.keyword === "FROM") {
      stages.push([]);
      const [image = "", as, name] = i.args.split(/\s+/);
      if (as?.toUpperCase() === "AS" && name) stageNames.add(name);
      if (!stageNames.has(image) && !/@sha256:[0-9a-f]{64}$/.test(image) && !/:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/.test(image)) {
        problems.push(`FROM ${image}: pin the base image to an exact version tag (e.g. node:20.20.0-bookworm-slim) or a digest`);
      }
    }
    stages.at(-1)?.push(i);
  }
  if (stages.length < 2) problems.push("use a multi-stage build: build in one stage, copy only dist and production node_modules into the last");
  const last = stages.at(-1) ?? [];
  const healthcheck = last.find((i) => i.keyword === "HEALTHCHECK");
  if (!healthcheck || /^NONE\b/i.test(healthcheck.args)) problems.push("the final stage needs a HEALTHCHECK that calls GET /health");

  const user = last.filter((i) => i.keyword === "USER").at(-1)?.args;
  const entrypoint = last.filter((i) => i.keyword === "ENTRYPOINT").at(-1)?.args;
  const nonRootUser = user !== undefined && !/^(root|0)(:|$)/.test(user);
  let dropsPrivileges = false;
  if (!nonRootUser && entrypoint) {
    const script = /^\["([^"]+)"/.exec(entrypoint)?.[1] ?? "";
    const copy = last.find((i) => i.keyword === "COPY" && i.args.split(/\s+/).at(-1)?.endsWith(`/${script}`));
    const source = copy?.args.split(/\s+/)[0];
    const text = source ? readFile(source) : "";
    dropsPrivileges = /exec setpriv --reuid=(?!root\b|0\b)\w+/.test(text);
  }
  if (!nonRootUser && !dropsPrivileges) {
    problems.push("the service must not run as root: end with `USER node`, or an ENTRYPOINT script that execs `setpriv --reuid=node ...`");
  }

  for (const i of all.filter((x) => x.keyword === "RUN" && /npm (install|i) -g/.test(x.args))) {
    const packages = i.args.split(/npm (?:install|i) -g/)[1]?.split(/&&|;|\|\|/)[0]?.split(/\s+/).filter((w) => w !== "" && !w.startsWith("-")) ?? [];
    for (const pkg of packages) {
      const spec = pkg.replace(/"/g, "");
      const version = /^(@?[^@]+)@(.+)$/.exec(spec)?.[2] ?? "";
      const resolved = version.replace(/^\$\{(\w+)\}$/, (_m, name: string) => args.get(name) ?? "");
      if (!/^\d+\.\d+\.\d+$/.test(resolved)) problems.push(`npm install -g ${spec}: pin an exact version (e.g. ${spec.split("@")[0] || spec}@1.2.3)`);
    }
  }
  return problems;
}

describe.each(services)("services/$name/Dockerfile", ({ name, port }) => {
  const dir = join(root, "services", name);
  const content = readFileSync(join(dir, "Dockerfile"), "utf8");

  it("passes the Dockerfile language server's validator", () => {
    const findings = validate(content).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(findings).toEqual([]);
  });

  it("meets the project's rules", () => {
    expect(projectRuleProblems(content, (p) => readFileSync(join(dir, p), "utf8"))).toEqual([]);
  });

  it(`exposes the service's port ${port}`, () => {
    expect(instructions(content).filter((i) => i.keyword === "EXPOSE").map((i) => i.args)).toEqual([port]);
  });

  it("has an entrypoint script that sh can parse", () => {
    expect(() => execFileSync("sh", ["-n", join(dir, "docker-entrypoint.sh")])).not.toThrow();
  });
});

describe("the project's Dockerfile rules catch", () => {
  const good = readFileSync(join(root, "services/vm/Dockerfile"), "utf8");
  const read = (p: string) => readFileSync(join(root, "services/vm", p), "utf8");
  it.each([
    ["an unpinned base", good.replace(/FROM node:24\.22\.3-bookworm-slim$/m, "FROM node:22-bookworm-slim"), /pin the base image/],
    ["a latest base", good.replace(/FROM node:24\.22\.3-bookworm-slim AS build/, "FROM node:latest AS build"), /FROM node:latest/],
    ["a missing HEALTHCHECK", good.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ""), /HEALTHCHECK/],
    ["a root final stage", good.replace(/ENTRYPOINT[^\n]*\n/, ""), /must not run as root/],
    ["an unpinned global tool", good.replace("ARG CLAUDE_CODE_VERSION=2.1.332", "ARG CLAUDE_CODE_VERSION=latest"), /pin an exact version/],
    ["a single-stage build", good.replace(/^FROM node:24\.22\.3-bookworm-slim AS build[\s\S]*?(?=^FROM )/m, ""), /multi-stage/],
  ])("%s", (_name, content, problem) => {
    expect(projectRuleProblems(content, read).join("\n")).toMatch(problem);
  });

  it("a syntax error (through the validator)", () => {
    expect(validate(good.replace("HEALTHCHECK --interval", "HEALTHCHEK --interval")).map((d) => d.message)).toContain("Unknown instruction: HEALTHCHEK");
  });

  it("and accept a final `USER node`", () => {
    const withUser = good.replace(/ENTRYPOINT[^\n]*\n/, "USER node\n");
    expect(projectRuleProblems(withUser, read)).toEqual([]);
  });
});
