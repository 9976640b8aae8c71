// npm run status's view of a deployment, from stand-in Fly answers: what it says about each state,
// where each figure comes from, and that it never calls the VM.
import { describe, expect, it } from "vitest";
import { FlyApiError, type FlyMachine, type FlyVolume } from "../../components/fly/client";
import { collectStatus, type StatusSources } from "../../scripts/status/collect";
import { renderStatus } from "../../scripts/status/render";

const now = new Date("2026-12-01T12:00:00Z");
const outputs = { relayApp: "me-relay", vmApp: "me-vm", relayUrl: "https://me-relay.fly.dev", relayMachineId: "relay1", vmMachineId: "vm1" };

function machine(id: string, state: string, extra: Partial<FlyMachine> = {}): FlyMachine {
  return {
    id, name: id, state, region: "ord", instanceId: "i1", config: { image: `ghcr.io/o/${id}:latest` }, checks: [], events: [],
    updatedAt: "2026-12-01T11:00:00Z", ...extra,
  } as FlyMachine;
}
const volume = (id: string, name: string, attached: string, extra: Partial<FlyVolume> = {}): FlyVolume =>
  ({ id, name, region: "ord", sizeGb: name === "vm_data" ? 3 : 1, state: "created", attachedMachineId: attached, snapshotRetention: 5, ...extra });

function sources(machines: Record<string, FlyMachine | undefined>, relayHealth: unknown, volumes: Record<string, FlyVolume[]> = {}): StatusSources & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    outputs,
    fly: {
      machines: {
        get: async (app: string, id: string) => {
          calls.push(`GET ${app}/machines/${id}`);
          const m = machines[id];
          if (!m) throw new FlyApiError({ status: 404, method: "GET", path: `/apps/${app}/machines/${id}`, flyMessage: "machine not found" });
          return m;
        },
      },
      volumes: {
        list: async (app: string) => {
          calls.push(`GET ${app}/volumes`);
          return volumes[app] ?? [];
        },
      },
    } as unknown as StatusSources["fly"],
    relayHealth: async () => {
      calls.push("GET relay /health");
      if (relayHealth instanceof Error) throw relayHealth;
      return relayHealth;
    },
    logsCommand: (app) => `fly logs -a ${app}`,
  };
}

const passing = (output: string) => [{ name: "health", status: "passing", output, updatedAt: "2026-12-01T11:59:50Z" }];

describe("status", () => {
  it("a sleeping VM is shown asleep, from the API alone, and its disk is said to be unreadable", async () => {
    const src = sources(
      {
        relay1: machine("relay1", "started", { checks: passing('{"ok":true,"outbox":0}'), imageRef: { digest: "sha256:abc" }, events: [{ type: "start", timestamp: Date.parse("2026-11-30T12:00:00Z") }] }),
        vm1: machine("vm1", "stopped"),
      },
      { ok: true, outbox: 2, lastMessageAt: "2026-12-01T11:55:00Z", disk: { usedBytes: 10 * 1024 ** 2, totalBytes: 1024 ** 3 } },
      { "me-relay": [volume("vol_r", "relay_data", "relay1")], "me-vm": [volume("vol_v", "vm_data", "vm1")] },
    );
    const status = await collectStatus(src);
    expect(status.problems).toEqual([]);
    expect(status.vm.queue).toEqual({ asleep: "stopped since 2026-12-01T11:00:00Z: nothing running; messages wait in the relay's outbox and wake it" });
    expect(status.vm.volume?.usage).toEqual({ unknown: "not readable while the VM sleeps: Fly's volume API reports no usage and status does not wake the VM" });
    expect(status.relay.volume?.usage).toEqual({ usedBytes: 10 * 1024 ** 2, totalBytes: 1024 ** 3, source: "service" });
    expect(status.lastMessageAt).toBe("2026-12-01T11:55:00Z");
    // Only the API and the relay were asked: nothing that could wake the VM.
    expect(src.calls.sort()).toEqual(["GET me-relay/machines/relay1", "GET me-relay/volumes", "GET me-vm/machines/vm1", "GET me-vm/volumes", "GET relay /health"]);
    expect(renderStatus(status, now)).toBe(
      [
        "Relay: me-relay",
        "  machine      relay1 started in ord, up since 2026-11-30T12:00:00.000Z (24 h ago)",
        "  image        ghcr.io/o/relay1:latest @ sha256:abc",
        "  checks       health passing (10 s ago)",
        "  outbox       2 message(s) waiting for the VM",
        "  last message 2026-12-01T11:55:00Z (5 min ago)",
        "  volume       relay_data (vol_r) 1 GB, daily snapshots kept 5 days; 10 MB of 1.0 GB used (1%, reported by the service)",
        "  logs         fly logs -a me-relay",
        "",
        "VM: me-vm",
        "  machine      vm1 stopped in ord, since 2026-12-01T11:00:00Z (60 min ago)",
        "  image        ghcr.io/o/vm1:latest (Fly reports no digest)",
        "  checks       none while stopped (Fly runs checks on started machines)",
        "  queue        asleep: stopped since 2026-12-01T11:00:00Z: nothing running; messages wait in the relay's outbox and wake it",
        "  volume       vm_data (vol_v) 3 GB, daily snapshots kept 5 days; use unknown: not readable while the VM sleeps: Fly's volume API reports no usage and status does not wake the VM",
        "  logs         fly logs -a me-vm",
        "",
        "All well.",
      ].join("\n"),
    );
  });

  it("an awake VM's queue and disk come from its health check's output (its last /health answer)", async () => {
    const status = await collectStatus(
      sources(
        { relay1: machine("relay1", "started", { checks: passing("{}") }), vm1: machine("vm1", "started", { checks: passing('{"ok":true,"running":1,"queued":2,"disk":{"usedBytes":1073741824,"totalBytes":3221225472}}') }) },
        { ok: true, outbox: 0, lastMessageAt: null },
        { "me-vm": [volume("vol_v", "vm_data", "vm1")] },
      ),
    );
    expect(status.vm.queue).toEqual({ running: 1, queued: 2 });
    expect(status.vm.volume?.usage).toEqual({ usedBytes: 1024 ** 3, totalBytes: 3 * 1024 ** 3, source: "service" });
    expect(status.lastMessageAt).toBeNull();
    expect(renderStatus(status, now)).toContain("  queue        1 running, 2 queued");
    expect(renderStatus(status, now)).toContain("  last message none recorded yet");
  });

  it("falls back to the usage Fly's volume API reports when the service reports none", async () => {
    const older = await collectStatus(sources({ relay1: machine("relay1", "started"), vm1: machine("vm1", "stopped") }, { ok: true, outbox: 0 }));
    expect(older.lastMessageAt).toBeUndefined();
    expect(renderStatus(older, now)).toContain("  last message not reported by this relay's /health");
    const status = await collectStatus(
      sources({ relay1: machine("relay1", "started"), vm1: machine("vm1", "stopped") }, { ok: true, outbox: 0 }, {
        "me-vm": [volume("vol_v", "vm_data", "vm1", { bytesUsed: 512 * 1024 ** 2, bytesTotal: 3 * 1024 ** 3 })],
      }),
    );
    expect(status.vm.volume?.usage).toEqual({ usedBytes: 512 * 1024 ** 2, totalBytes: 3 * 1024 ** 3, source: "fly" });
  });

  it("names what needs attention: a failing check, a stopped relay, a gone VM, an unreachable /health", async () => {
    const status = await collectStatus(
      sources({ relay1: machine("relay1", "stopped"), vm1: undefined }, new Error("GET https://me-relay.fly.dev/health answered 502")),
    );
    expect(status.problems).toEqual([
      "the vm machine vm1 of me-vm is gone from Fly: run `pulumi refresh` and `pulumi up` to create it again",
      "the relay machine is stopped: no message reaches the VM; start it with `fly machine start relay1 -a me-relay` or run `pulumi up`",
      "the relay's public /health did not answer: GET https://me-relay.fly.dev/health answered 502",
    ]);
    expect(renderStatus(status, now)).toMatch(/\nNeeds attention:\n {2}- the vm machine vm1/);

    const critical = await collectStatus(
      sources({ relay1: machine("relay1", "started", { checks: [{ name: "health", status: "critical", output: "connection refused" }] }), vm1: machine("vm1", "suspended") }, { ok: true, outbox: 0 }),
    );
    expect(critical.problems).toEqual(["me-relay: check health is critical (connection refused)"]);
    expect(critical.vm.queue).toMatchObject({ asleep: expect.stringMatching(/^suspended since/) });
  });

  it("says so when an awake VM's check output is not its /health body", async () => {
    const status = await collectStatus(sources({ relay1: machine("relay1", "started"), vm1: machine("vm1", "started", { checks: passing("HTTP 200") }) }, { ok: true, outbox: 0 }));
    expect(status.vm.queue).toEqual({ unknown: "its health check is passing without a /health body (output: HTTP 200)" });
  });
});
