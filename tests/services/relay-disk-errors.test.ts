// A full or unwritable disk: the relay never acknowledges what it did not write, tells the sender in
// words, leaves no partial file behind, and puts no internal detail (paths, errno) in any answer.
// The faults are Node's own errors, raised at the fs boundary for files under one folder.
import { afterEach, describe, expect, it, vi } from "vitest";
import { readdir } from "node:fs/promises";
import { join, sep } from "node:path";
import { inboundParams, sendSignedWebhook } from "../../sandbox/fakes/fake-twilio";
import { cleanup, fake, startFakeTwilio, startRelay, startStub } from "./harness";

const fault = vi.hoisted(() => ({ code: undefined as undefined | "ENOSPC" | "EACCES", folder: "outbox" }));

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, errno: code === "ENOSPC" ? -28 : -13, syscall: code === "ENOSPC" ? "write" : "open" });
}

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const hit = (path: unknown) => fault.code !== undefined && String(path).includes(`${sep}${fault.folder}${sep}`);
  const writable = (flags: unknown, options?: unknown) => /[wa]/.test(String(flags ?? (options as { flag?: string } | undefined)?.flag ?? "w"));
  // ENOSPC: the file is created and part of it written, then the write fails (as on a full disk).
  const partialThenFull = async (path: string, data: unknown) => {
    await real.writeFile(path, String(data).slice(0, 10));
    throw errnoError("ENOSPC", "ENOSPC: no space left on device, write");
  };
  const mocked = {
    ...real,
    async open(path: Parameters<typeof real.open>[0], flags?: Parameters<typeof real.open>[1], mode?: Parameters<typeof real.open>[2]) {
      if (hit(path) && writable(flags) && fault.code === "EACCES") throw errnoError("EACCES", `EACCES: permission denied, open '${String(path)}'`);
      const handle = await real.open(path, flags, mode);
      if (!(hit(path) && writable(flags) && fault.code === "ENOSPC")) return handle;
      return new Proxy(handle, {
        get(target, prop) {
          if (prop === "writeFile" || prop === "write") return (data: unknown) => partialThenFull(String(path), data);
          const value = Reflect.get(target, prop) as unknown;
          return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
    async writeFile(path: Parameters<typeof real.writeFile>[0], data: Parameters<typeof real.writeFile>[1], options?: Parameters<typeof real.writeFile>[2]) {
      if (hit(path) && writable(undefined, options)) {
        if (fault.code === "EACCES") throw errnoError("EACCES", `EACCES: permission denied, open '${String(path)}'`);
        return partialThenFull(String(path), data);
      }
      return real.writeFile(path, data, options);
    },
  };
  return { ...mocked, default: mocked };
});

afterEach(async () => {
  fault.code = undefined;
  await cleanup();
});

async function setup() {
  const twilio = await startFakeTwilio();
  const vm = await startStub();
  const logs: string[] = [];
  const relay = await startRelay({ claudeHost: vm.url, twilioUrl: twilio.url, logs });
  const post = (params: Record<string, string>) => sendSignedWebhook({ relayUrl: relay.url, publicUrl: relay.env.PUBLIC_URL, authToken: fake.authToken, params });
  const message = (body: string) => inboundParams({ from: fake.user, to: fake.whatsAppNumber, body, accountSid: fake.accountSid });
  return { twilio, vm, relay, logs, post, message };
}

describe("relay on a failing disk", () => {
  it.each(["ENOSPC", "EACCES"] as const)("%s on the outbox: Twilio gets 200 with a <Message> telling the sender to resend, nothing internal, no file left", async (code) => {
    const { vm, relay, logs, post, message } = await setup();
    const params = message("save me");
    fault.code = code;
    fault.folder = "outbox";
    const answer = await post(params);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain("<Message>Your message could not be saved");
    expect(answer.body).toContain("Please send it again");
    for (const internal of [relay.env.RELAY_DATA_DIR, "outbox", code, ".tmp", ".json"]) expect(answer.body).not.toContain(internal);
    expect(await readdir(join(relay.env.RELAY_DATA_DIR, "outbox"))).toEqual([]);
    // The operator's log has the cause.
    expect(logs.some((line) => line.includes(code) && line.includes("message not saved"))).toBe(true);

    // Nothing was acknowledged, so the same message is not a duplicate once the disk is back.
    fault.code = undefined;
    expect((await post(params)).body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    const [task] = await vm.waitFor(1);
    expect(JSON.parse(task?.body ?? "{}")).toMatchObject({ id: params.MessageSid, text: "save me" });
  });

  it("a disk error while storing an answer's image is a plain 500 to the VM, with no path in it", async () => {
    const { relay, twilio } = await setup();
    fault.code = "ENOSPC";
    fault.folder = "media";
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
    const response = await fetch(`${relay.url}/callback`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fake.sharedToken}` },
      body: JSON.stringify({ to: fake.user, images: [{ contentType: "image/png", dataBase64: png.toString("base64") }] }),
    });
    expect(response.status).toBe(500);
    const body = await response.text();
    for (const internal of [relay.env.RELAY_DATA_DIR, "media", "ENOSPC"]) expect(body).not.toContain(internal);
    expect(twilio.messages).toHaveLength(0);
    expect((await readdir(join(relay.env.RELAY_DATA_DIR, "media"))).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
