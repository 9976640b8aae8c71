// The Fly client's HTTP behaviour over real HTTP against a scripted server: retries, error mapping,
// timeouts, the lease header, and that the token never leaks.
import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FlyApiError, FlyClient, LEASE_NONCE_HEADER, type FlyClientOptions } from "../../components/fly/client";
import { startScriptedServer, type ScriptedServer } from "./scripted-server";

const TOKEN = "fake-fly-token-do-not-leak";
const MACHINE = { id: "m-fake1", name: "m-fake1", state: "started", region: "iad", instance_id: "inst-1", config: { image: "img:1" } };

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
});

/** A client on a fake clock: `sleep` advances it instantly and records each wait. */
function fakeClockClient(overrides: Partial<FlyClientOptions> = {}): { fly: FlyClient; sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const fly = new FlyClient({
    baseUrl: server.url,
    token: TOKEN,
    env: {},
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0.5,
    ...overrides,
  });
  return { fly, sleeps };
}

async function failure(promise: Promise<unknown>): Promise<FlyApiError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FlyApiError);
    return err as FlyApiError;
  }
  throw new Error("expected the call to fail, it succeeded");
}

describe("retries", () => {
  it("retries 429 and waits what Retry-After says (seconds and HTTP date)", async () => {
    const { fly, sleeps } = fakeClockClient();
    const inThreeSeconds = new Date(1_000_000 + 2_000 + 3_000).toUTCString();
    server.script(
      { status: 429, body: { error: "rate limited" }, headers: { "retry-after": "2" } },
      { status: 429, body: { error: "rate limited" }, headers: { "retry-after": inThreeSeconds } },
      { status: 200, body: MACHINE },
    );
    const machine = await fly.machines.get("app-a", "m-fake1");
    expect(machine.id).toBe("m-fake1");
    expect(server.requests).toHaveLength(3);
    expect(sleeps[0]).toBe(2_000);
    // An HTTP date has one-second resolution: the wait lands within the second before it.
    expect(sleeps[1]).toBeGreaterThan(2_000);
    expect(sleeps[1]).toBeLessThanOrEqual(3_000);
  });

  it("a POST create is retried on 429 (Fly refused before doing anything)", async () => {
    const { fly } = fakeClockClient();
    server.script({ status: 429, body: { error: "slow down" }, headers: { "retry-after": "1" } }, { status: 200, body: MACHINE });
    await fly.machines.create("app-a", { config: { image: "img:1" } } as never);
    expect(server.requests.map((r) => r.method)).toEqual(["POST", "POST"]);
  });

  it("gives up after maxAttempts, reporting the attempts", async () => {
    const { fly, sleeps } = fakeClockClient({ retry: { maxAttempts: 3 } });
    server.fallback = { status: 429, body: { error: "rate limited" }, headers: { "retry-after": "1" } };
    const err = await failure(fly.machines.get("app-a", "m-fake1"));
    expect(err.status).toBe(429);
    expect(err.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([1_000, 1_000]);
  });

  it("gives up when the next wait would pass the total time budget", async () => {
    const { fly, sleeps } = fakeClockClient({ retry: { maxAttempts: 10, maxTotalMs: 5_000 } });
    server.fallback = { status: 429, body: { error: "rate limited" }, headers: { "retry-after": "4" } };
    const err = await failure(fly.machines.get("app-a", "m-fake1"));
    expect(err.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([4_000]);
  });

  it("retries 5xx for idempotent calls (GET, PUT, DELETE, lease refresh)", async () => {
    const { fly, sleeps } = fakeClockClient();
    server.script({ status: 500, body: { error: "boom" } }, { status: 503, body: { error: "busy" } }, { status: 200, body: MACHINE });
    await fly.machines.get("app-a", "m-fake1");
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);

    server.requests.length = 0;
    server.script({ status: 502, body: { error: "bad gateway" } }, { status: 200, body: {} });
    await fly.machines.delete("app-a", "m-fake1");
    expect(server.requests.map((r) => r.method)).toEqual(["DELETE", "DELETE"]);

    server.requests.length = 0;
    server.script({ status: 503, body: { error: "busy" } }, { status: 200, body: { nonce: "fake-nonce", expires_at: 2_000_000_000 } });
    await fly.leases.refresh("app-a", "m-fake1", "fake-nonce", { ttlSeconds: 30 });
    expect(server.requests).toHaveLength(2);
  });

  it("does not retry a POST create on 500 (it may have been half-done)", async () => {
    const { fly, sleeps } = fakeClockClient();
    server.script({ status: 500, body: { error: "internal error" } }, { status: 200, body: MACHINE });
    const err = await failure(fly.machines.create("app-a", { config: { image: "img:1" } } as never));
    expect(err.status).toBe(500);
    expect(err.attempts).toBe(1);
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("retries network errors for GET, not for a POST create", async () => {
    const { fly } = fakeClockClient();
    server.script({ drop: true }, { status: 200, body: MACHINE });
    await fly.machines.get("app-a", "m-fake1");
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    server.script({ drop: true }, { status: 200, body: MACHINE });
    const err = await failure(fly.machines.create("app-a", { config: { image: "img:1" } } as never));
    expect(err.status).toBeUndefined();
    expect(err.flyMessage).toMatch(/network error/);
    expect(server.requests).toHaveLength(1);
  });
});

describe("errors", () => {
  it.each([
    [401, "unauthorized"],
    [404, "machine not found"],
    [408, "deadline exceeded waiting for state"],
    [409, "machine has a lease held by someone else"],
  ])("HTTP %i becomes a FlyApiError with method, path, status and Fly's message, without retry", async (status, message) => {
    const { fly } = fakeClockClient();
    server.script({ status, body: { error: message, status: "unknown" } });
    const err = await failure(fly.machines.get("app-a", "m-fake1"));
    expect(err.method).toBe("GET");
    expect(err.path).toBe("/v1/apps/app-a/machines/m-fake1");
    expect(err.status).toBe(status);
    expect(err.flyMessage).toBe(message);
    expect(err.message).toContain(`GET /v1/apps/app-a/machines/m-fake1`);
    expect(err.message).toContain(`HTTP ${status}`);
    expect(err.message).toContain(message);
    expect(server.requests).toHaveLength(1);
  });

  it("a refused token says how to set a valid one; other statuses carry no such hint", async () => {
    const { fly } = fakeClockClient();
    server.script({ status: 401, body: { error: "unauthorized" } });
    const refused = await failure(fly.apps.get("app-a"));
    expect(refused.message).toMatch(/HTTP 401: unauthorized \(Fly refused the API token: set a valid one with `pulumi config set --secret textslash:flyApiToken <token>`/);
    expect(refused.flyMessage).toBe("unauthorized");
    server.script({ status: 404, body: { error: "app not found" } });
    expect((await failure(fly.apps.get("app-a"))).message).toMatch(/HTTP 404: app not found$/);
  });

  it("a non-JSON error body is quoted; an unexpected success shape is named", async () => {
    const { fly } = fakeClockClient();
    server.script({ status: 404, body: "404 page not found" });
    expect((await failure(fly.apps.get("app-a"))).flyMessage).toBe("404 page not found");
    server.script({ status: 200, body: { id: 7 } });
    expect((await failure(fly.machines.get("app-a", "m-fake1"))).flyMessage).toMatch(/unexpected response shape/);
  });

  it("enforces the request timeout", async () => {
    const { fly } = fakeClockClient({ requestTimeoutMs: 150, retry: { maxAttempts: 1 } });
    server.script({ hang: true });
    const err = await failure(fly.machines.get("app-a", "m-fake1"));
    expect(err.status).toBeUndefined();
    expect(err.flyMessage).toBe("request timed out");
  });
});

describe("waitForState", () => {
  it("asks again after a 408 until the state is reached", async () => {
    const { fly } = fakeClockClient();
    server.script({ status: 408, body: { error: "deadline_exceeded" } }, { status: 408, body: { error: "deadline_exceeded" } }, { status: 200, body: { ok: true, state: "started" } });
    const result = await fly.machines.waitForState("app-a", "m-fake1", { state: "started", version: "inst-1", timeoutMs: 120_000, perCallSeconds: 30 });
    expect(result.state).toBe("started");
    expect(server.requests.map((r) => r.url)).toEqual(Array(3).fill("/v1/apps/app-a/machines/m-fake1/wait?state=started&timeout=30&version=inst-1"));
  });

  it("does not hammer the API when 408s come back early: it pauses, and gives up at the deadline", async () => {
    // Fly holds a wait until its timeout; a 408 that returns at once (a proxy, a state that cannot be reached)
    // must not turn the loop into hundreds of requests a second.
    const { fly, sleeps } = fakeClockClient();
    server.fallback = { status: 408, body: { error: "deadline_exceeded" } };
    const err = await failure(fly.machines.waitForState("app-a", "m-fake1", { state: "started", timeoutMs: 5_000 }));
    expect(err.status).toBe(408);
    expect(err.flyMessage).toContain('did not reach state "started" within 5s');
    expect(server.requests.length).toBeLessThanOrEqual(6);
    expect(sleeps.length).toBeGreaterThan(0);
  });
});

describe("requests", () => {
  it("sends the bearer token, JSON, and the lease nonce on leased calls only", async () => {
    const { fly } = fakeClockClient();
    server.fallback = { status: 200, body: MACHINE };
    const leased = { leaseNonce: "fake-nonce-42" };
    await fly.machines.update("app-a", "m-fake1", { config: { image: "img:2" } } as never, leased);
    await fly.machines.start("app-a", "m-fake1", leased);
    await fly.machines.stop("app-a", "m-fake1", {}, leased);
    await fly.machines.suspend("app-a", "m-fake1", leased);
    await fly.machines.delete("app-a", "m-fake1", { force: true }, leased);
    server.fallback = { status: 200, body: { nonce: "fake-nonce-42", expires_at: 2_000_000_000 } };
    await fly.leases.refresh("app-a", "m-fake1", "fake-nonce-42", { ttlSeconds: 30 });
    await fly.leases.release("app-a", "m-fake1", "fake-nonce-42");
    expect(server.requests.map((r) => r.headers[LEASE_NONCE_HEADER])).toEqual(Array(7).fill("fake-nonce-42"));
    expect(server.requests[4]?.url).toBe("/v1/apps/app-a/machines/m-fake1?force=true");

    server.requests.length = 0;
    server.fallback = { status: 200, body: MACHINE };
    await fly.machines.get("app-a", "m-fake1");
    await fly.machines.update("app-a", "m-fake1", { config: { image: "img:2" } } as never);
    for (const request of server.requests) {
      expect(request.headers[LEASE_NONCE_HEADER]).toBeUndefined();
      expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    }
    expect(server.requests[1]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(server.requests[1]?.body ?? "")).toMatchObject({ config: { image: "img:2" } });
  });

  it("escapes path segments", async () => {
    const { fly } = fakeClockClient();
    server.script({ status: 200, body: {} });
    await fly.ips.delete("app-a", "fdaa::1/64");
    expect(server.requests[0]?.url).toBe("/v1/apps/app-a/ip_assignments/fdaa%3A%3A1%2F64");
  });
});

describe("the token never leaks", () => {
  function expectNoToken(value: unknown): void {
    const renderings = [
      value instanceof Error ? value.message : "",
      String(value),
      JSON.stringify(value),
      inspect(value, { depth: Infinity, showHidden: true }),
    ];
    for (const text of renderings) expect(text).not.toContain(TOKEN);
  }

  it("not in errors, even when Fly echoes it back", async () => {
    const { fly } = fakeClockClient({ retry: { maxAttempts: 1 } });
    server.script({ status: 401, body: { error: `token ${TOKEN} is not valid` } });
    const unauthorized = await failure(fly.apps.get("app-a"));
    expect(unauthorized.flyMessage).toContain("[redacted]");
    expectNoToken(unauthorized);

    server.script({ status: 500, body: `upstream said Authorization: Bearer ${TOKEN}` });
    expectNoToken(await failure(fly.machines.get("app-a", "m-fake1")));

    server.script({ status: 200, body: { id: TOKEN } });
    expectNoToken(await failure(fly.machines.get("app-a", "m-fake1")));

    // A response-shape error names the failing field's path, and a map key can be anything Fly echoes.
    server.script({ status: 200, body: { ...MACHINE, config: { image: "img:1", env: { [TOKEN]: 5 } } } });
    const shape = await failure(fly.machines.get("app-a", "m-fake1"));
    expect(shape.flyMessage).toContain("unexpected response shape (config.env.[redacted]");
    expectNoToken(shape);
  });

  it("not in network errors raised by fetch", async () => {
    const { fly } = fakeClockClient({
      retry: { maxAttempts: 1 },
      fetch: () => Promise.reject(new Error(`connect failed for Bearer ${TOKEN}`)),
    });
    expectNoToken(await failure(fly.apps.get("app-a")));
  });

  it("not in the client object", () => {
    const { fly } = fakeClockClient();
    expectNoToken(fly);
    expect(Object.values(fly).map((v) => String(v)).join(" ")).not.toContain(TOKEN);
  });
});
