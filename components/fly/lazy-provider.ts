// Why this exists: Pulumi serializes a dynamic provider's closure into state, walking every value
// it captures. The real providers use zod and the Fly client (module-level zod schemas), whose
// internals cannot be serialized ("export path for zod/v4/core/util.cjs not found"). So the
// serialized provider is only this thin forwarder: it captures two strings, and in the provider
// process loads the TypeScript implementation module with tsx at call time (project-relative
// path first, so a stack moved between machines still works; the absolute path as a fallback).
import type * as pulumi from "@pulumi/pulumi";

type Method = "configure" | "check" | "diff" | "create" | "read" | "update" | "delete";

export function lazyProvider(relativePath: string, absolutePath: string, exportName: string): pulumi.dynamic.ResourceProvider {
  const load = (): pulumi.dynamic.ResourceProvider => {
    // One tsx registration and one module per provider process (globalThis, because this closure
    // is serialized and must not capture mutable state): registering on every call would stack
    // a require hook per call and slow every later one.
    const cache = ((globalThis as { __textslashProviders?: Map<string, pulumi.dynamic.ResourceProvider> }).__textslashProviders ??= new Map());
    const cached = cache.get(`${relativePath}#${exportName}`);
    if (cached) return cached;
    if (!cache.has("tsx")) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require("tsx/cjs/api") as { register(): void }).register();
      cache.set("tsx", {});
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as { existsSync(p: string): boolean };
    const local = `${process.cwd()}/${relativePath}`;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(fs.existsSync(local) ? local : absolutePath) as Record<string, pulumi.dynamic.ResourceProvider>;
    const impl = mod[exportName];
    if (!impl) throw new Error(`provider implementation ${exportName} not found in ${relativePath}`);
    cache.set(`${relativePath}#${exportName}`, impl);
    return impl;
  };
  const forward =
    (method: Method) =>
    async (...args: unknown[]): Promise<unknown> => {
      const impl = load() as unknown as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>;
      const fn = impl[method];
      if (!fn) return method === "read" ? { id: args[0], props: args[1] } : undefined;
      return fn(...args);
    };
  return {
    configure: forward("configure"),
    check: forward("check"),
    diff: forward("diff"),
    create: forward("create"),
    read: forward("read"),
    update: forward("update"),
    delete: forward("delete"),
  } as pulumi.dynamic.ResourceProvider;
}
