// Offline check of deploy/*.deploy.yaml against the fields the pinned CLI accepts
// (apitype.DeploymentSettings in pulumi/sdk v3.248.0): unknown keys fail, pre-run is `npm ci`,
// and environment variables are either plain non-secret strings or encrypted ciphertext.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const secretValue = z.union([z.string(), z.strictObject({ ciphertext: z.string().min(1) })]);
const settingsFile = z.strictObject({
  settings: z.strictObject({
    tag: z.string().optional(),
    agentPoolID: z.string().optional(),
    sourceContext: z.strictObject({
      git: z.strictObject({
        repoUrl: z.string().url(),
        branch: z.string().min(1),
        repoDir: z.string().optional(),
        commit: z.string().optional(),
      }),
    }),
    gitHub: z
      .strictObject({
        repository: z.string().regex(/^[^/]+\/[^/]+$/),
        deployCommits: z.boolean().optional(),
        previewPullRequests: z.boolean().optional(),
        pullRequestTemplate: z.boolean().optional(),
        deployPullRequest: z.number().int().optional(),
        paths: z.array(z.string()).optional(),
      })
      .optional(),
    operationContext: z.strictObject({
      preRunCommands: z.array(z.string()),
      environmentVariables: z.record(z.string(), secretValue).optional(),
      options: z
        .strictObject({
          skipInstallDependencies: z.boolean().optional(),
          skipIntermediateDeployments: z.boolean().optional(),
          shell: z.string().optional(),
          deleteAfterDestroy: z.boolean().optional(),
          remediateIfDriftDetected: z.boolean().optional(),
        })
        .optional(),
    }),
  }),
});

const dir = join(__dirname, "..", "..", "deploy");
const files = readdirSync(dir).filter((f) => /^Pulumi\.[^.]+\.deploy\.yaml$/.test(f));

describe("Pulumi Deployments settings", () => {
  it("has at least one stack's settings", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)("%s uses only fields the CLI accepts", (file) => {
    const parsed = settingsFile.safeParse(parse(readFileSync(join(dir, file), "utf8")));
    expect(parsed.success, `deploy/${file}: ${parsed.error?.message ?? ""}`).toBe(true);
    const ops = parsed.data?.settings.operationContext;
    expect(ops?.preRunCommands).toEqual(["npm ci"]);
    for (const [name, value] of Object.entries(ops?.environmentVariables ?? {})) {
      if (/TOKEN|KEY|SECRET|PASSPHRASE/.test(name)) {
        expect(typeof value, `deploy/${file}: ${name} must be ciphertext (use deployment settings env --secret)`).toBe("object");
      }
    }
  });

  it("rejects an inlined plain-text secret object and unknown keys", () => {
    const bad = { settings: { sourceContext: { git: { repoUrl: "https://example.test/r.git", branch: "main" } },
      operationContext: { preRunCommands: ["npm ci"], environmentVariables: { FLY_API_TOKEN: { secret: "fake-fly-token" } } } } };
    expect(settingsFile.safeParse(bad).success).toBe(false);
  });
});
