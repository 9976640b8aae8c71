// The deployment check's polling, on a fake clock: it ends as soon as every endpoint answers 200 {"ok": true},
// and otherwise fails naming each endpoint that did not answer with what it answered last.
import { describe, expect, it } from "vitest";
import { DeploymentNotAnswering, judge, waitUntilAnswering, type Endpoint, type HttpAnswer } from "../../components/deployment-check/poll.mjs";
import { checkSettings, parseEndpoints, viaSandboxProxy } from "../../components/deployment-check/settings.mjs";

const relay: Endpoint = { name: "the relay's public /health", url: "https://me-relay.fly.dev/health", hint: "See `fly logs -a me-relay`." };

/** A fake clock and a scripted GET: each call takes the next answer (a thrown Error = a network failure). */
function scripted(answers: (HttpAnswer | Error)[]) {
  let now = 0;
  const calls: string[] = [];
  return {
    calls,
    deps: {
      get: (url: string): Promise<HttpAnswer> => {
        calls.push(url);
        now += 100;
        const next = answers.length > 1 ? answers.shift()! : answers[0]!;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
      now: () => now,
      sleep: (ms: number) => {
        now += ms;
        return Promise.resolve();
      },
    },
  };
}

const ok: HttpAnswer = { status: 200, body: '{"ok":true,"outbox":0}' };
// As node:http rejects (main.mjs): the system error's code on the error, and in its message.
const dnsFailure = Object.assign(new Error("getaddrinfo ENOTFOUND me-relay.fly.dev"), { code: "ENOTFOUND" });

describe("judge", () => {
  it.each<[HttpAnswer, ReturnType<typeof judge>]>([
    [ok, { ok: true }],
    [{ status: 301, location: "https://me-relay.fly.dev/health", body: "" }, { ok: false, what: "HTTP 301 redirect to https://me-relay.fly.dev/health" }],
    [{ status: 503, body: "no machine could serve\n" }, { ok: false, what: "HTTP 503: no machine could serve" }],
    [{ status: 200, body: "<html>" }, { ok: false, what: 'HTTP 200 without {"ok": true}: <html>' }],
    [{ status: 200, body: '{"ok":false}' }, { ok: false, what: 'HTTP 200 without {"ok": true}: {"ok":false}' }],
  ])("%o", (answer, outcome) => expect(judge(answer)).toEqual(outcome));
});

describe("waitUntilAnswering", () => {
  it("keeps asking while the endpoint is not up yet, and stops at the first good answer", async () => {
    const s = scripted([dnsFailure, { status: 503, body: "" }, ok]);
    await expect(waitUntilAnswering([relay], s.deps, { timeoutMs: 60_000, intervalMs: 2_000, attemptTimeoutMs: 5_000 })).resolves.toEqual({ attempts: 3 });
    expect(s.calls).toEqual(Array(3).fill(relay.url));
  });

  it("fails naming the endpoint, its URL, the budget, the last answer and the hint", async () => {
    const s = scripted([dnsFailure, { status: 301, location: "https://me-relay.fly.dev/health", body: "" }]);
    const failure = await waitUntilAnswering([relay], s.deps, { timeoutMs: 10_000, intervalMs: 2_000, attemptTimeoutMs: 5_000 }).then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(DeploymentNotAnswering);
    expect((failure as Error).message).toBe(
      "the deployment does not answer from outside:\n" +
        '- the relay\'s public /health: GET https://me-relay.fly.dev/health did not answer 200 {"ok": true} within 10s ' +
        "(last: HTTP 301 redirect to https://me-relay.fly.dev/health). See `fly logs -a me-relay`.",
    );
    expect(s.calls.length).toBeGreaterThan(2);
  });

  it("reports a network failure with its code", async () => {
    const s = scripted([dnsFailure]);
    const failure = (await waitUntilAnswering([relay], s.deps, { timeoutMs: 3_000, intervalMs: 2_000, attemptTimeoutMs: 1_000 }).catch((e: unknown) => e)) as Error;
    expect(failure.message).toContain("(last: getaddrinfo ENOTFOUND me-relay.fly.dev)");
  });
});

describe("where the check looks, and its settings", () => {
  it("reaches https://<app>.fly.dev through the sandbox proxy's public route when FLY_PROXY_URL is set", () => {
    expect(viaSandboxProxy("https://me-relay.fly.dev/health?x=1", "http://127.0.0.1:4000/")).toBe("http://127.0.0.1:4000/_public/me-relay/health?x=1");
    expect(viaSandboxProxy("https://me-relay.fly.dev/health", undefined)).toBe("https://me-relay.fly.dev/health");
    expect(viaSandboxProxy("https://example.com/health", "http://127.0.0.1:4000")).toBe("https://example.com/health");
  });

  it("takes skip, a timeout and the proxy from the environment, naming a bad variable", () => {
    expect(checkSettings({})).toEqual({ skip: false, timeoutMs: 180_000 });
    expect(checkSettings({ TEXTSLASH_DEPLOYMENT_CHECK: "skip", TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS: "30", FLY_PROXY_URL: "http://127.0.0.1:1" }))
      .toEqual({ skip: true, timeoutMs: 30_000, proxyUrl: "http://127.0.0.1:1" });
    expect(() => checkSettings({ TEXTSLASH_DEPLOYMENT_CHECK: "off" })).toThrow('TEXTSLASH_DEPLOYMENT_CHECK must be unset or "skip" (got "off")');
    expect(() => checkSettings({ TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS: "soon" })).toThrow(/TEXTSLASH_DEPLOYMENT_CHECK_TIMEOUT_SECONDS .*"soon"/);
  });

  it("takes the endpoints the stack wrote, and says what is wrong with anything else", () => {
    expect(parseEndpoints(JSON.stringify([relay]))).toEqual([relay]);
    expect(() => parseEndpoints(undefined)).toThrow(/TEXTSLASH_CHECK_ENDPOINTS must hold the endpoints as JSON/);
    expect(() => parseEndpoints("[]")).toThrow(/TEXTSLASH_CHECK_ENDPOINTS is not a list of \{name, url, hint\}/);
    expect(() => parseEndpoints(JSON.stringify([{ ...relay, url: "not a url" }]))).toThrow(/url/);
  });
});
