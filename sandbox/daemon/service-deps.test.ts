import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { servicesNeedingInstall } from "./service-deps";

describe("servicesNeedingInstall", () => {
  const roots: string[] = [];
  afterEach(() => { for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true }); });

  function fakeRepo(installed: string[]): string {
    const root = mkdtempSync(path.join(tmpdir(), "textslash-deps-"));
    roots.push(root);
    for (const service of ["relay", "vm"]) mkdirSync(path.join(root, "services", service), { recursive: true });
    for (const service of installed) {
      mkdirSync(path.join(root, "services", service, "node_modules"), { recursive: true });
      writeFileSync(path.join(root, "services", service, "node_modules", ".package-lock.json"), "{}");
    }
    return root;
  }

  it("names every service of a fresh clone, whose root npm ci installed none of them", () => {
    expect(servicesNeedingInstall(fakeRepo([]))).toEqual(["relay", "vm"]);
  });

  it("names only the service without a completed npm ci", () => {
    const root = fakeRepo(["relay"]);
    mkdirSync(path.join(root, "services", "vm", "node_modules")); // interrupted install: no .package-lock.json
    expect(servicesNeedingInstall(root)).toEqual(["vm"]);
  });

  it("names none once both are installed", () => {
    expect(servicesNeedingInstall(fakeRepo(["relay", "vm"]))).toEqual([]);
  });
});
