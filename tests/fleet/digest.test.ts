// The fleet pins each declared image to a digest once per command (fleet/digest.ts). Against a
// local HTTP server answering as a registry does (Docker Registry HTTP API V2: HEAD
// /v2/<name>/manifests/<tag> with Docker-Content-Digest; 401 when it wants a login).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pinToDigest } from "../../fleet/digest";
import { startLocalHttp, type LocalHttp } from "../support/local-http";

const digest = `sha256:${"e".repeat(64)}`;

describe("pinToDigest", () => {
  let registry: LocalHttp;
  let host: string;
  let asked: string[];

  beforeAll(async () => {
    registry = await startLocalHttp((req, res) => {
      if (req.url === "/v2/acme/vm/manifests/1.0") res.writeHead(200, { "Docker-Content-Digest": digest });
      else if (req.url?.startsWith("/v2/private/")) res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="http://example.invalid/token"' });
      else res.writeHead(404);
      res.end();
    });
    ({ host, asked } = registry);
  });
  afterAll(() => registry.close());

  it("keeps the tag and adds the digest the registry gives for it (one HEAD)", async () => {
    asked.length = 0;
    expect(await pinToDigest(`${host}/acme/vm:1.0`, `http://${host}`, () => undefined)).toBe(`${host}/acme/vm:1.0@${digest}`);
    expect(asked).toEqual(["HEAD /v2/acme/vm/manifests/1.0"]);
  });

  it("leaves a reference that names a digest as it is, without asking", async () => {
    asked.length = 0;
    const pinned = `${host}/acme/vm:1.0@sha256:${"f".repeat(64)}`;
    expect(await pinToDigest(pinned, `http://${host}`, () => undefined)).toBe(pinned);
    expect(asked).toEqual([]);
  });

  it("leaves the tag to the stacks when the registry wants a login, and says so", async () => {
    const lines: string[] = [];
    expect(await pinToDigest(`${host}/private/vm:1.0`, `http://${host}`, (l) => lines.push(l))).toBe(`${host}/private/vm:1.0`);
    expect(lines.join("\n")).toMatch(/401 \(the registry wants a login\); each user's stack resolves the tag/);
  });

  it("refuses a tag the registry does not have, naming the fix", async () => {
    await expect(pinToDigest(`${host}/acme/vm:9.9`, `http://${host}`, () => undefined)).rejects.toThrow(
      /cannot resolve 127\.0\.0\.1:\d+\/acme\/vm:9\.9 to a digest: HEAD http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/vm\/manifests\/9\.9 answered 404\. Check that the image is pushed/,
    );
  });
});
