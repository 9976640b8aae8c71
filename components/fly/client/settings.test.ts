import { describe, expect, it } from "vitest";
import { DEFAULT_FLY_API_URL, resolveFlyConnection } from "./settings";

describe("resolveFlyConnection", () => {
  it("takes explicit values, then the stack config, then the environment; defaults the URL to Fly's", () => {
    const env = { FLY_API_URL: "http://127.0.0.1:4000", FLY_API_TOKEN: "fake-env-token" };
    expect(resolveFlyConnection({ token: "fake-explicit", config: { apiToken: "fake-config" }, env })).toMatchObject({ token: "fake-explicit" });
    expect(resolveFlyConnection({ config: { apiToken: "fake-config", apiUrl: "http://localhost:5000" }, env })).toEqual({
      apiRoot: "http://localhost:5000/v1",
      token: "fake-config",
    });
    expect(resolveFlyConnection({ env })).toEqual({ apiRoot: "http://127.0.0.1:4000/v1", token: "fake-env-token" });
    expect(resolveFlyConnection({ env: { FLY_API_TOKEN: "fake-env-token" } }).apiRoot).toBe(`${DEFAULT_FLY_API_URL}/v1`);
  });

  it("without a token, names the stack secret the providers read and the environment variable", () => {
    expect(() => resolveFlyConnection({ env: {} })).toThrow(
      /No Fly API token: set the stack secret `textslash:flyApiToken` \(pulumi config set --secret textslash:flyApiToken \.\.\.\) or export FLY_API_TOKEN/,
    );
  });
});
