// The real program previews with the real engine: the dynamic providers serialize and run their
// check/diff in the provider process, the plan has the expected objects, no secret value shows,
// and preview only reads from Fly whether the two app names are free (a recording HTTP server stands
// in for the API: 404 for those reads, as Fly answers for a free name, 500 for anything else).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineProject, type EngineProject } from "./harness";
import { programFiles, serviceFiles } from "./fly-stack";
import { FAKE_ACCOUNT_SID } from "../../sandbox/daemon/fake-values";

const secretValues = ["fake-twilio-auth-token", "fake-anthropic-key", "fake-fly-token", "fake-github-token"];

describe("textslash program: preview", () => {
  let project: EngineProject;
  let server: Server;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const nameRead = req.method === "GET" && /^\/v1\/apps\/[a-z0-9-]+$/.test(req.url ?? "");
      res.writeHead(nameRead ? 404 : 500, { "content-type": "application/json" }).end(JSON.stringify({ error: "app not found" }));
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const port = (server.address() as AddressInfo).port;
    project = await createEngineProject({
      // The services too: by default the program builds their images (the preview does not build).
      copyFromRepo: [...programFiles, ...serviceFiles],
      stackName: "Demo_Stack",
      // The Fly token from the environment, as most users give it: the optional flyApiToken key
      // stays unset, which the engine must accept.
      env: { FLY_API_URL: `http://127.0.0.1:${port}`, FLY_API_TOKEN: "fake-fly-token" },
    });
    await project.stack.setAllConfig({
      "textslash:twilioAccountSid": { value: FAKE_ACCOUNT_SID },
      "textslash:twilioAuthToken": { value: "fake-twilio-auth-token", secret: true },
      "textslash:twilioWhatsappNumber": { value: "+14155238886" },
      "textslash:allowedPhoneNumbers": { value: "+15550000001" },
      "textslash:anthropicApiKey": { value: "fake-anthropic-key", secret: true },
      "textslash:githubToken": { value: "fake-github-token", secret: true },
    });
  }, 120_000);

  afterAll(async () => {
    await project?.cleanup();
    await new Promise((done) => server?.close(done));
  });

  it("plans the relay and VM objects, shows no secret and only reads whether the app names are free", async () => {
    const preview = await project.stack.preview({ diff: true });
    // stack + TextslashStack + token + 2 services + 2 apps + 2 secrets + 4 IPs (3 relay, 1 VM) + 2 volumes + 2 machines
    // + the data-loss guard + the deployment check + the Fly API provider + the image registry's docker provider
    // + 2 images = 23
    expect(preview.changeSummary).toEqual({ create: 23 });
    for (const name of ["demo-stack-relay", "demo-stack-vm", "vm_data", "relay_data", "/data/relay", "http://demo-stack-vm.flycast", "https://demo-stack-relay.fly.dev",
      "registry.fly.io/demo-stack-relay:latest", "registry.fly.io/demo-stack-vm:latest", "services/relay", "services/vm"]) {
      expect(preview.stdout).toContain(name);
    }
    for (const secret of secretValues) {
      expect(preview.stdout + preview.stderr).not.toContain(secret);
    }
    expect([...new Set(requests)].sort()).toEqual(["GET /v1/apps/demo-stack-relay", "GET /v1/apps/demo-stack-vm"]);
    // The cost estimate needs no API call: a line of the preview and a stack output it already knows.
    expect(preview.stdout + preview.stderr).toMatch(/Estimated Fly\.io cost: about \$\d+\.\d\d\/month with the VM awake 4 h\/day/);
    expect(preview.stdout).toMatch(/monthlyCostEstimate\s*: \{[\s\S]*?usd\s*: 4\.51\n/);
    // The default display (no --diff), as `npm run pulumi -- preview` shows it: under Diagnostics.
    const plain = await project.cli(["preview"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/Diagnostics:\n\s+pulumi:pulumi:Stack \(textslash-Demo_Stack\):\n\s+Estimated Fly\.io cost: about \$4\.51\/month/);
  }, 180_000);
});
