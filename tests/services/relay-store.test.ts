// The relay's disk structures on their own: the bounded durable log, the outbox index, group
// commit, the media quota.
import { afterEach, describe, expect, it } from "vitest";
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DurableLog } from "../../services/relay/src/store/durable-log";
import { GroupCommit, removeFile } from "../../services/relay/src/store/durable";
import { Outbox, type SpooledMessage } from "../../services/relay/src/store/outbox";
import { MediaQuotaError, MediaStore } from "../../services/relay/src/store/media-store";
import { cleanup, tempDir } from "./harness";

afterEach(cleanup);

const message = (id: string, from = "whatsapp:+15550001111"): SpooledMessage => ({ id, from, text: `text of ${id}`, media: [], receivedAt: "2026-01-01T00:00:00.000Z" });

describe("DurableLog", () => {
  it("keeps only the newest `limit` entries, compacts its file, and reads them back after a restart", async () => {
    const path = join(await tempDir("log"), "ids.log");
    const log = new DurableLog(path, 5);
    await log.load();
    for (let i = 0; i < 23; i++) {
      log.stage(`SM${i}`, `v${i}`);
      await log.flushStaged();
    }
    expect(log.size).toBe(5);
    expect((await readFile(path, "utf8")).trim().split("\n").length).toBeLessThanOrEqual(10);
    await log.close();
    const again = new DurableLog(path, 5);
    await again.load();
    expect(["SM17", "SM18", "SM19", "SM20", "SM21", "SM22"].map((k) => again.has(k))).toEqual([false, true, true, true, true, true]);
    expect(again.get("SM22")).toBe("v22");
    await again.close();
  });

  it("ignores a last line a crash cut short, and appends after it cleanly", async () => {
    const path = join(await tempDir("log"), "ids.log");
    await writeFile(path, "SMa\t\nSMb\t\nSMc");
    const log = new DurableLog(path, 100);
    await log.load();
    expect([log.has("SMa"), log.has("SMb"), log.has("SMc")]).toEqual([true, true, false]);
    log.stage("SMd");
    await log.flushStaged();
    await log.close();
    expect(await readFile(path, "utf8")).toBe("SMa\t\nSMb\t\nSMd\t\n");
  });

  it("refuses to log anything but an id (no tab or newline can forge a line)", () => {
    const log = new DurableLog("/nonexistent/never-opened.log", 10);
    expect(() => log.stage("SM1\nSMforged")).toThrow("not a loggable id");
  });
});

describe("GroupCommit", () => {
  it("serves many concurrent callers with few flushes, and never answers a caller before a flush that started after its call", async () => {
    const events: string[] = [];
    let flushes = 0;
    const group = new GroupCommit(async () => {
      const n = ++flushes;
      events.push(`start ${n}`);
      await new Promise((r) => setTimeout(r, 20));
      events.push(`end ${n}`);
    });
    const callers = Array.from({ length: 50 }, (_, i) => group.commit().then(() => events.push(`done ${i}`)));
    await Promise.all(callers);
    // The first caller starts flush 1 alone; the 49 that arrive during it share flush 2.
    expect(flushes).toBe(2);
    expect(events.indexOf("done 0")).toBeGreaterThan(events.indexOf("end 1"));
    expect(events.indexOf("done 1")).toBeGreaterThan(events.indexOf("end 2"));
  });

  it("rejects every caller of a failed flush, and the next commit flushes again", async () => {
    let fail = true;
    const group = new GroupCommit(async () => {
      if (fail) throw new Error("EIO");
    });
    await expect(Promise.all([group.commit(), group.commit()])).rejects.toThrow("EIO");
    fail = false;
    await expect(group.commit()).resolves.toBeUndefined();
  });
});

describe("Outbox", () => {
  it("indexes waiting messages in memory: counts per sender, oldest first", async () => {
    const dir = await tempDir("outbox");
    const outbox = new Outbox(dir);
    await outbox.init();
    expect(await outbox.add(message("SMa"))).toBe(true);
    expect(await outbox.add(message("SMb", "whatsapp:+15550002222"))).toBe(true);
    expect(await outbox.add(message("SMa"))).toBe(false);
    expect([outbox.count(), outbox.countFrom("whatsapp:+15550001111"), outbox.countFrom("whatsapp:+15550002222")]).toEqual([2, 1, 1]);
    const head = outbox.next();
    expect(head?.id).toBe("SMa");
    expect(await outbox.read(head!)).toEqual(message("SMa"));
    await outbox.remove(head!);
    expect(outbox.next()?.id).toBe("SMb");
    // Delivered, yet still a duplicate: its MessageSid is remembered.
    expect(outbox.isDuplicate("SMa")).toBe(true);
    await outbox.close();
  });

  it("hands over a message it took from memory, not by reading its file back; a restart reads the files", async () => {
    const dir = await tempDir("outbox");
    const outbox = new Outbox(dir);
    await outbox.init();
    await outbox.add(message("SMmem"));
    const head = outbox.next();
    const [file] = await readdir(join(dir, "outbox"));
    expect(file).toBe(head?.file);
    // The file on disk is what a restart recovers; it holds the same message.
    expect(JSON.parse(await readFile(join(dir, "outbox", file!), "utf8"))).toEqual(message("SMmem"));
    // Changed behind the outbox's back: the copy in memory is what this process delivers...
    await writeFile(join(dir, "outbox", file!), JSON.stringify({ ...message("SMmem"), text: "changed on disk" }));
    expect((await outbox.read(head!))?.text).toBe("text of SMmem");
    expect(outbox.memoryBytes()).toBeGreaterThan(0);
    await outbox.close();
    // ...and a new process, which has only the disk, finds the acknowledged message there.
    const restarted = new Outbox(dir);
    await restarted.init();
    expect([restarted.count(), restarted.next()?.id]).toEqual([1, "SMmem"]);
    expect((await restarted.read(restarted.next()!))?.text).toBe("changed on disk");
    expect(restarted.memoryBytes()).toBe(0);
    await restarted.close();
  });

  it("keeps messages in memory only within its byte budget, and gives the bytes back when they leave", async () => {
    const dir = await tempDir("outbox");
    const one = 2 * JSON.stringify(message("SM1")).length;
    const outbox = new Outbox(dir, { memoryBudgetBytes: 2 * one });
    await outbox.init();
    for (const id of ["SM1", "SM2", "SM3"]) await outbox.add(message(id));
    expect(outbox.memoryBytes()).toBe(2 * one);
    const entries = [outbox.next()!];
    await outbox.remove(entries[0]!);
    expect(outbox.memoryBytes()).toBe(one);
    // The third did not fit when it came: it is read from its file, and reads the same.
    const second = outbox.next()!;
    await outbox.remove(second);
    const third = outbox.next()!;
    expect(third.message).toBeUndefined();
    expect(await outbox.read(third)).toEqual(message("SM3"));
    expect(await outbox.dropFrom("whatsapp:+15550001111")).toBe(1);
    expect([outbox.count(), outbox.memoryBytes()]).toEqual([0, 0]);
    await outbox.close();
  });

  it("removing a message whose file is already gone is done, not an error; other errors still surface", async () => {
    const dir = await tempDir("outbox");
    const outbox = new Outbox(dir);
    await outbox.init();
    await outbox.add(message("SMgone"));
    const head = outbox.next();
    await rm(join(dir, "outbox", head!.file));
    await expect(outbox.remove(head!)).resolves.toBeUndefined();
    expect(outbox.count()).toBe(0);
    await outbox.close();
    // A directory is not a file to remove: EISDIR (or EPERM), not silently ignored.
    await mkdir(join(dir, "a-directory"));
    await expect(removeFile(join(dir, "a-directory"))).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|EPERM)$/) });
  });

  it("at start drops interrupted temp files, sets unreadable files aside, and loads the rest in arrival order", async () => {
    const dir = await tempDir("outbox");
    const first = new Outbox(dir);
    await first.init();
    await first.add(message("SM1"));
    await first.add(message("SM2"));
    await first.close();
    await writeFile(join(dir, "outbox", "000000000000001-000000-SMx.json.abc.tmp"), "{half");
    await writeFile(join(dir, "outbox", "000000000000002-000000-SMbad.json"), "not json");
    const second = new Outbox(dir);
    await second.init();
    expect(second.count()).toBe(2);
    expect(second.next()?.id).toBe("SM1");
    expect(await readdir(join(dir, "outbox-rejected"))).toEqual(["000000000000002-000000-SMbad.json"]);
    expect((await readdir(join(dir, "outbox"))).some((n) => n.endsWith(".tmp"))).toBe(false);
    await second.close();
  });

  it("/cancel drops a sender's waiting messages durably, the one being retried included", async () => {
    const dir = await tempDir("outbox");
    const outbox = new Outbox(dir);
    await outbox.init();
    for (const id of ["SM1", "SM2", "SM3"]) await outbox.add(message(id));
    await outbox.add(message("SMother", "whatsapp:+15550002222"));
    const head = outbox.next();
    expect(head?.id).toBe("SM1");
    expect(await outbox.dropFrom("whatsapp:+15550001111")).toBe(3);
    expect([outbox.count(), outbox.holds(head!), outbox.next()?.id]).toEqual([1, false, "SMother"]);
    await outbox.close();
    const reopened = new Outbox(dir);
    await reopened.init();
    expect(reopened.count()).toBe(1);
    // A replay of a cancelled message is still a duplicate: it was taken once.
    expect(reopened.isDuplicate("SM2")).toBe(true);
    await reopened.close();
  });

  it("reads a seen-message log written by an earlier relay that crashed mid-line", async () => {
    const dir = await tempDir("outbox");
    const outbox = new Outbox(dir);
    await outbox.init();
    await outbox.add(message("SMkept"));
    await outbox.close();
    await appendFile(join(dir, "seen-message-sids.log"), "SMtor");
    const again = new Outbox(dir);
    await again.init();
    expect([again.isDuplicate("SMkept"), again.isDuplicate("SMtor")]).toEqual([true, false]);
    await again.close();
  });
});

describe("MediaStore", () => {
  it("refuses an image that would take it over its quota, and counts what it holds across restarts", async () => {
    const dir = await tempDir("media");
    const store = new MediaStore(dir, 1000);
    await store.init();
    const id = await store.put("image/png", Buffer.alloc(600));
    await expect(store.put("image/png", Buffer.alloc(500))).rejects.toBeInstanceOf(MediaQuotaError);
    expect((await store.get(id))?.data.length).toBe(600);
    const again = new MediaStore(dir, 1000);
    await again.init();
    expect(again.bytesStored).toBe(600);
    await expect(again.put("image/png", Buffer.alloc(500))).rejects.toThrow("media store is full");
  });
});
