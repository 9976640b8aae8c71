import { describe, expect, it } from "vitest";
import { routeFor } from "./routing";

describe("routeFor", () => {
  it.each([
    [undefined, "http://local-vm.flycast/tasks", { app: "local-vm", network: "private", path: "/tasks" }],
    [undefined, "http://local-vm.flycast:80/health?x=1", { app: "local-vm", network: "private", path: "/health?x=1" }],
    ["local-relay.fly.dev", "/webhook", { app: "local-relay", network: "public", path: "/webhook" }],
    ["127.0.0.1:4000", "/_public/local-relay/media/a.png", { app: "local-relay", network: "public", path: "/media/a.png" }],
    ["127.0.0.1:4000", "/_public/local-relay", { app: "local-relay", network: "public", path: "/" }],
    ["example.com", "/", undefined],
  ])("host %s url %s", (host, url, route) => expect(routeFor(host, url)).toEqual(route));
});
