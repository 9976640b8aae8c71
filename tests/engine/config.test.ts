// Bad stack config fails the real engine run before any Fly API call: a local HTTP server stands
// in for the Fly API and counts every request it gets. What the CLI prints is what a person reads:
// each problem once, with its fix, no stack trace, no raw terminal colour codes.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineProject, type EngineProject } from "./harness";
import { programFiles } from "./fly-stack";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";

describe("textslash program: bad config", () => {
  let project: EngineProject;
  let server: Server;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(500).end();
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const port = (server.address() as AddressInfo).port;
    project = await createEngineProject({
      copyFromRepo: programFiles,
      env: { FLY_API_URL: `http://127.0.0.1:${port}`, FLY_API_TOKEN: "fake-fly-token" },
    });
    await project.stack.setAllConfig({
      "textslash:twilioAccountSid": { value: FAKE_ACCOUNT_SID },
      "textslash:twilioAuthToken": { value: "fake-twilio-auth-token", secret: true },
      "textslash:twilioWhatsappNumber": { value: "not-a-number" },
      "textslash:allowedPhoneNumbers": { value: "+15550000001" },
      "textslash:anthropicApiKey": { value: "fake-anthropic-key", secret: true },
      "textslash:vmMemoryMb": { value: "300" },
      "textslash:region": { value: "zzz" },
      "textslash:volumSizeGb": { value: "5" },
      // An optional secret set without --secret: the program refuses it (Pulumi.yaml cannot).
      "textslash:githubToken": { value: "fake-github-token" },
    });
  }, 120_000);

  afterAll(async () => {
    await project?.cleanup();
    await new Promise((done) => server?.close(done));
  });

  it("names every bad key once, with the command that fixes it, and makes no API call", async () => {
    const result = await project.cli(["up", "--yes", "--skip-preview"]);
    expect(result.code).not.toBe(0);
    const output = result.stdout + result.stderr;
    const problems = [
      "textslash:twilioWhatsappNumber: \"not-a-number\" is not a number in E.164 form",
      "textslash:vmMemoryMb: 300 MB is not a size Fly offers for 1 shared CPU",
      "textslash:region: \"zzz\" is not a Fly region",
      "textslash:volumSizeGb: is not a textslash setting (did you mean textslash:volumeSizeGb?)",
      "textslash:githubToken: is stored in plain text",
    ];
    for (const problem of problems) expect(output.split(problem), problem).toHaveLength(2);
    for (const fix of [
      "fix: pulumi config set textslash:vmMemoryMb 256",
      "fix: pulumi config set textslash:region ord",
      "fix: pulumi config rm textslash:volumSizeGb, then pulumi config set textslash:volumeSizeGb <value>",
      "fix: pulumi config set --secret textslash:githubToken",
    ]) expect(output).toContain(fix);
    // What Pulumi prints for a thrown Error: "failed with an unhandled exception", the stack, and
    // util.inspect's colours (ESC[90m...) around the frames.
    expect(output).not.toContain("unhandled exception");
    expect(output).not.toMatch(/\n\s+at \S+ \(/);
    expect(output).not.toContain("\u001b[");
    expect(output).not.toContain("fake-github-token");
    expect(output).not.toContain("fake-twilio-auth-token");
    expect(output).not.toContain("fake-anthropic-key");
    expect(requests).toBe(0);
  }, 600_000); // one `up` that fails early: well under a minute idle, several on a loaded machine
});
