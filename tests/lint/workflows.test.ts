// Lints every file in .github/workflows with @action-validator/core (GitHub's workflow schema,
// compiled to WASM: runs offline, no binary download). A missing linter FAILS the test.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REQUIRED_ENV } from "../acceptance/target";

const root = join(__dirname, "..", "..");
const workflowDir = join(root, ".github", "workflows");

type Validator = { validateWorkflow(src: string): { errors: unknown[] } };

function loadValidator(): Validator {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@action-validator/core") as Validator;
  } catch (err) {
    throw new Error(
      `workflow linter @action-validator/core is not installed (${String(err)}); ` +
        "install it with `npm ci` (it is a devDependency of package.json)",
    );
  }
}

// actionlint (type-checks expressions, `needs`, matrix and action inputs) built by scripts/actionlint.sh.
function actionlintPath(): string {
  const run = spawnSync("bash", [join(root, "scripts", "actionlint.sh")], { encoding: "utf8", timeout: 300_000 });
  if (run.status !== 0) {
    throw new Error(`actionlint is missing and could not be built: ${run.stderr}\n` +
      "install it with: bash scripts/actionlint.sh (needs Go and the Go module proxy)");
  }
  return run.stdout.trim();
}

function actionlint(files: string[]): { status: number | null; output: string } {
  const run = spawnSync(actionlintPath(), ["-no-color", ...files], { encoding: "utf8", cwd: root });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe("workflow lint", () => {
  const files = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f));

  it("finds the workflows", () => {
    expect(files).toEqual(expect.arrayContaining(["preview.yml", "deploy.yml"]));
  });

  it.each(files)("%s passes the workflow schema", (file) => {
    const result = loadValidator().validateWorkflow(readFileSync(join(workflowDir, file), "utf8"));
    expect(result.errors, `${file}: fix the errors listed`).toEqual([]);
  });

  it("actionlint passes every workflow", () => {
    const result = actionlint(files.map((f) => join(workflowDir, f)));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  }, 300_000);

  it("actionlint rejects the deliberately broken workflow", () => {
    const result = actionlint([join(__dirname, "fixtures", "broken-workflow.yml")]);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/runs-on/);
  }, 300_000);

  it("rejects a deliberately broken workflow", () => {
    const src = readFileSync(join(__dirname, "fixtures", "broken-workflow.yml"), "utf8");
    expect(loadValidator().validateWorkflow(src).errors.length).toBeGreaterThan(0);
  });

  it.each(["preview.yml", "deploy.yml"])("%s follows the delivery rules", (file) => {
    const src = readFileSync(join(workflowDir, file), "utf8");
    expect(src).toContain("cancel-in-progress: false");
    expect(src).toContain("group: pulumi-${{ matrix.stack }}");
    expect(src).toContain("run: npm ci");
    expect(src).toContain("require('./package.json').dependencies['@pulumi/pulumi']");
    expect(src).toMatch(/^permissions:\n {2}contents: read$/m);
    // The CLI version is named only in package.json.
    expect(src).not.toMatch(/pulumi-version: *\d/);
  });

  it.each(["preview.yml", "deploy.yml", "publish-images.yml"])("%s pins every action by full commit SHA, pulumi/actions at v7", (file) => {
    const src = readFileSync(join(workflowDir, file), "utf8");
    const uses = [...src.matchAll(/uses: *(\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(0);
    for (const [, ref, comment] of uses) {
      expect(ref, `${file}: pin ${ref}`).toMatch(/@[0-9a-f]{40}$/);
      expect(comment, `${file}: ${ref} names its version`).toMatch(/# v\d+\.\d+\.\d+/);
      if (ref!.startsWith("pulumi/actions@")) expect(comment, "the current major of pulumi/actions").toMatch(/# v7\./);
    }
  });

  it("acceptance.yml runs the suite nightly and on demand, with its secrets and every action pinned to a commit", () => {
    const src = readFileSync(join(workflowDir, "acceptance.yml"), "utf8");
    expect(src).toMatch(/^ {2}schedule:\n {4}- cron: "[^"]+"$/m);
    expect(src).toMatch(/^ {2}workflow_dispatch:$/m);
    expect(src).toMatch(/^permissions:\n {2}contents: read$/m);
    for (const name of REQUIRED_ENV) expect(src, name).toContain(`${name}: \${{ secrets.${name} }}`);
    expect(src).toContain("run: npm run test:acceptance");
    const uses = [...src.matchAll(/uses: *(\S+)/g)].map((m) => m[1]);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u, `pin ${u} to a commit SHA`).toMatch(/@[0-9a-f]{40}$/);
  });

  it("no workflow builds images on push to main (the deploy's up builds them, so nothing races it)", () => {
    const publish = readFileSync(join(workflowDir, "publish-images.yml"), "utf8");
    expect(publish).not.toMatch(/branches:\s*\[?\s*main/);
    const deploy = readFileSync(join(workflowDir, "deploy.yml"), "utf8");
    expect(deploy).not.toMatch(/build-push-action|docker build/);
  });
});
