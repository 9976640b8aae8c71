// `fleet rollout --image <ref>` asks the registry for the new image before it writes it into the
// fleet file: a tag the registry does not have fails the command and leaves the file as it was.
// The CLI runs as a user runs it (`npm run fleet` is `tsx fleet/cli.ts`); the registry is a local
// HTTP server answering the manifest HEAD with 404, as a Docker registry does for an unknown tag.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";
import { repoRoot } from "../engine/harness";
import { startLocalHttp, type LocalHttp } from "../support/local-http";

describe("fleet rollout --image", () => {
  let registry: LocalHttp;
  let host: string;
  let dir: string;

  beforeAll(async () => {
    registry = await startLocalHttp((_req, res) => res.writeHead(404).end());
    host = registry.host;
    dir = await mkdtemp(join(tmpdir(), "fleet-cli-"));
  });
  afterAll(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a tag the registry does not have, before the fleet file changes", async () => {
    const file = join(dir, "fleet.yaml");
    const text = [
      "fleet: acme",
      "shared:",
      `  imageRegistry: http://${host}`,
      `  relayImage: ${host}/acme/relay:1.0.0`,
      `  vmImage: ${host}/acme/vm:1.0.0`,
      `  twilioAccountSid: ${FAKE_ACCOUNT_SID}`,
      '  twilioWhatsappNumber: "+14155238886"',
      "users:",
      '  - { id: alice, allowedNumbers: ["+15550000001"] }',
      "",
    ].join("\n");
    await writeFile(file, text);
    const result = await promisify(execFile)(join(repoRoot, "node_modules", ".bin", "tsx"), ["fleet/cli.ts", "rollout", "--file", file, "--image", `${host}/acme/vm:9.9.9`], {
      cwd: repoRoot,
      timeout: 120_000,
    }).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code?: number; stderr?: string }) => ({ code: err.code ?? -1, stderr: err.stderr ?? "" }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`fleet: cannot resolve ${host}/acme/vm:9.9.9 to a digest: HEAD http://${host}/v2/acme/vm/manifests/9.9.9 answered 404. Check that the image is pushed`);
    expect(registry.asked).toEqual(["HEAD /v2/acme/vm/manifests/9.9.9"]);
    expect(await readFile(file, "utf8")).toBe(text);
  }, 150_000);
});
