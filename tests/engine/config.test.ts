// Bad stack config fails the real engine run before any Fly API call: a local HTTP server stands
// in for the Fly API and counts every request it gets.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineProject, type EngineProject } from "./harness";

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
      copyFromRepo: ["Pulumi.yaml", "index.ts", "config.ts", "components", "tsconfig.json", "package.json"],
      env: { FLY_API_URL: `http://127.0.0.1:${port}`, FLY_API_TOKEN: "fake-fly-token" },
    });
    await project.stack.setAllConfig({
      "textslash:twilioAccountSid": { value: "ACfake" },
      "textslash:twilioAuthToken": { value: "fake-twilio-auth-token", secret: true },
      "textslash:twilioWhatsappNumber": { value: "not-a-number" },
      "textslash:allowedPhoneNumbers": { value: "+15550000001" },
      "textslash:anthropicApiKey": { value: "fake-anthropic-key", secret: true },
      "textslash:vmMemoryMb": { value: "100" },
      "textslash:region": { value: "Chicago" },
      // An optional secret set without --secret: the program refuses it (Pulumi.yaml cannot).
      "textslash:githubToken": { value: "fake-github-token" },
    });
  }, 120_000);

  afterAll(async () => {
    await project?.cleanup();
    await new Promise((done) => server?.close(done));
  });

  it("names every bad key and makes no API call", async () => {
    const result = await project.cli(["up", "--yes", "--skip-preview"]);
    expect(result.code).not.toBe(0);
    const output = result.stdout + result.stderr;
    for (const key of ["twilioWhatsappNumber", "vmMemoryMb", "region"]) expect(output).toContain(`textslash:${key}`);
    expect(output).toContain("textslash:githubToken: is stored in plain text");
    expect(output).not.toContain("fake-github-token");
    expect(output).not.toContain("fake-twilio-auth-token");
    expect(output).not.toContain("fake-anthropic-key");
    expect(requests).toBe(0);
  }, 120_000);
});
