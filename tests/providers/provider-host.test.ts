// The project's pulumi-nodejs host (components/provider-host) against the stock one it replaces
// (@pulumi/pulumi cmd/dynamic-provider): both started as the engine starts them, both asked the same
// requests through the SDK's generated ResourceProvider client (the messages the Go engine sends),
// and every answer compared, field by field, errors and their details included. Each case also
// states what the answer must be, so a change that broke both alike would still fail here.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as plugin from "@pulumi/pulumi/proto/plugin_pb";
import * as provider from "@pulumi/pulumi/proto/provider_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { Status } from "@pulumi/pulumi/proto/status_pb";
import { version as sdkVersion } from "@pulumi/pulumi/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = join(__dirname, "..", "..");
// Plain JavaScript the engine runs as is; required, not imported, so tsc leaves it unchecked.
const { structs } = createRequire(__filename)("../../components/provider-host/wire.cjs") as {
  structs: { encode(obj: Record<string, unknown>): Uint8Array; decode(bytes: Uint8Array): Record<string, unknown> };
};
const hosts = {
  stock: join(repoRoot, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js"),
  ours: join(repoRoot, "components", "provider-host", "host.cjs"),
};
type HostName = keyof typeof hosts;

const secretSig = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const fakeToken = "fake-provider-host-token";

/** A `__provider` text as the engine stores it: a CommonJS module whose handler() gives the provider. */
const providerText = `
exports.handler = function () {
  let token, plain;
  return {
    async configure(req) { token = req.config.get("test:token"); plain = req.config.get("plain"); },
    async check(olds, news) {
      return { inputs: Object.assign({}, news, { checked: true }), failures: news.bad ? [{ property: "bad", reason: "bad is fake-bad" }] : [] };
    },
    async diff(id, olds, news) {
      if (news.mode === "replace") return { changes: true, replaces: ["name", "size"], deleteBeforeReplace: true };
      if (news.mode === "same") return { changes: false };
      return {};
    },
    async create(props) {
      if (props.fail === "half") { const e = new Error("machine made but never started"); e.id = "fake-half-id"; e.properties = { state: "stopped", n: 2 }; e.reasons = ["health check failed"]; throw e; }
      if (props.fail === "whole") throw new Error("create refused: fake reason");
      return { id: "fake-id-1", outs: { tokenSeen: typeof token === "string" && token.split("").reverse().join("") === ${JSON.stringify([...fakeToken].reverse().join(""))}, plain: plain === undefined ? null : plain, keys: Object.keys(props), echo: props } };
    },
    async read(id, props) {
      if (props.gone) return { id: "" };
      return { id, props: Object.assign({}, props, { read: true }), inputs: props.withInputs ? { size: 3 } : undefined };
    },
    async update(id, olds, news) {
      if (news.fail) { const e = new Error("update half done"); e.id = id; e.reasons = ["fake reason"]; throw e; }
      return { outs: { updated: id, from: olds.size, to: news.size } };
    },
    async delete(id, props) { if (props.undeletable) throw new Error("delete refused for " + id); },
  };
};`;
/** The same provider without optional methods: the hosts' defaults answer. */
const bareProviderText = `exports.handler = function () { return { async create(props) { return { id: "fake-bare" }; } }; };`;

const struct = (value: Record<string, unknown>) => Struct.fromJavaScript(value as Parameters<typeof Struct.fromJavaScript>[0]);

/** A value that also has every kind of Struct value in it, in an order the hosts must not keep. */
const awkward = { zeta: "z", alpha: [1, 2.5, -3, "two", null, true, false, { nested: [[]], empty: {} }], "ключ": "значение ✓", blank: "", zero: 0, big: 1e21 };

interface Answer {
  code?: number;
  details?: string;
  statusDetails?: unknown[];
  value?: unknown;
}

function answerOf(err: grpc.ServiceError | null, value: { toObject(): unknown } | undefined): Answer {
  if (!err) return { value: value!.toObject() };
  const bins = err.metadata?.get("grpc-status-details-bin") ?? [];
  const statusDetails = bins.map((b) => {
    const status = Status.deserializeBinary(new Uint8Array(b as Buffer));
    return {
      code: status.getCode(),
      message: status.getMessage(),
      details: status.getDetailsList().map((any) => ({
        typeUrl: any.getTypeUrl(),
        value: provider.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8()).toObject(),
      })),
    };
  });
  return { code: err.code, details: err.details, statusDetails };
}

type Unary = (req: unknown, cb: (err: grpc.ServiceError | null, value?: { toObject(): unknown }) => void) => unknown;

class Host {
  readonly client: ResourceProviderClient;
  constructor(
    readonly child: ChildProcess,
    port: string,
  ) {
    this.client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }
  call(method: string, request: unknown): Promise<Answer> {
    const fn = (this.client as unknown as Record<string, Unary>)[method]!.bind(this.client);
    return new Promise((resolve) => fn(request, (err, value) => resolve(answerOf(err, value))));
  }
  list(): Promise<Answer> {
    return new Promise((resolve) => {
      const stream = this.client.list(new provider.ListRequest());
      stream.on("error", (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
      stream.on("end", () => resolve({ value: "ended" }));
    });
  }
  close() {
    this.client.close();
    this.child.kill();
  }
}

/** Starts a host as the engine does: its port is the first line it prints. */
async function start(name: HostName): Promise<Host> {
  const child = spawn(process.execPath, [hosts[name], "127.0.0.1:1"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PULUMI_NODEJS_PROJECT: "" } });
  child.stderr!.resume();
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += String(d);
      if (out.includes("\n")) resolve(out.split("\n")[0]!.trim());
    });
    child.once("exit", (code) => reject(new Error(`${name} host exited (${code}) before printing its port`)));
  });
  return new Host(child, port);
}

describe("the project's pulumi-nodejs host answers as the stock one", () => {
  const started: Partial<Record<HostName, Host>> = {};
  /** Asks both hosts; expects the same answer and returns it. */
  const both = async (method: string, request: () => unknown): Promise<Answer> => {
    const stock = await started.stock!.call(method, request());
    const ours = await started.ours!.call(method, request());
    expect(ours, method).toEqual(stock);
    return ours;
  };

  beforeAll(async () => {
    [started.stock, started.ours] = await Promise.all([start("stock"), start("ours")]);
    // Configured once per process, as the engine does, before any resource call.
    const configure = () => {
      const req = new provider.ConfigureRequest();
      req.setArgs(struct({ "test:token": { ...secretSig, value: fakeToken }, "project:plain": "plain-value", __provider: "ignored" }));
      req.setAcceptsecrets(true);
      return req;
    };
    const answer = await both("configure", configure);
    // acceptSecrets false: the engine strips secrets from the calls and marks the outputs of
    // secret inputs secret itself, which is what keeps them ciphertext in state.
    expect(answer.value).toMatchObject({ acceptsecrets: false, supportspreview: false });
  }, 60_000);

  afterAll(() => {
    started.stock?.close();
    started.ours?.close();
  });

  it("Check: the provider's inputs with __provider, its failures, and the olds' provider when the news' is unknown", async () => {
    const check = (news: Record<string, unknown>, olds: Record<string, unknown> = {}) => () => {
      const req = new provider.CheckRequest();
      req.setUrn("urn:pulumi:test::project::pulumi-nodejs:dynamic:Resource::r");
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      return req;
    };
    const ok = await both("check", check({ __provider: providerText, ...awkward }));
    const inputs = (ok.value as { inputs: { fieldsMap: [string, unknown][] } }).inputs.fieldsMap.map(([k]) => k);
    expect(inputs).toEqual([...Object.keys(awkward), "__provider", "checked"].sort());
    const failed = await both("check", check({ __provider: providerText, bad: true }));
    expect(failed.value).toMatchObject({ failuresList: [{ property: "bad", reason: "bad is fake-bad" }] });
    const fromOlds = await both("check", check({ __provider: unknown, x: 1 }, { __provider: providerText }));
    expect(fromOlds.value).toMatchObject({ failuresList: [] });
    const bare = await both("check", check({ __provider: bareProviderText, y: "kept" }));
    expect(JSON.stringify(bare.value)).toContain("kept");
  });

  it("Diff: changes, replacements and delete-before-replace as the provider says; unknown when it has no diff", async () => {
    const diff = (news: Record<string, unknown>) => () => {
      const req = new provider.DiffRequest();
      req.setId("fake-id-1");
      req.setOlds(struct({ __provider: providerText }));
      req.setNews(struct(news));
      return req;
    };
    expect((await both("diff", diff({ __provider: providerText, mode: "replace" }))).value).toMatchObject({ changes: 2, replacesList: ["name", "size"], deletebeforereplace: true });
    expect((await both("diff", diff({ __provider: providerText, mode: "same" }))).value).toMatchObject({ changes: 1, replacesList: [] });
    expect((await both("diff", diff({ __provider: providerText }))).value).toMatchObject({ changes: 0 });
    expect((await both("diff", diff({ __provider: bareProviderText }))).value).toMatchObject({ changes: 0 });
  });

  it("Create: id and outputs with __provider, the configured secret reached the provider, and both kinds of failure", async () => {
    const create = (props: Record<string, unknown>) => () => {
      const req = new provider.CreateRequest();
      req.setUrn("urn:pulumi:test::project::pulumi-nodejs:dynamic:Resource::r");
      req.setProperties(struct(props));
      return req;
    };
    const made = await both("create", create({ __provider: providerText, ...awkward }));
    expect(made.value).toMatchObject({ id: "fake-id-1" });
    const fields = new Map((made.value as { properties: { fieldsMap: [string, { boolValue?: boolean; stringValue?: string }][] } }).properties.fieldsMap);
    expect(fields.get("tokenSeen")?.boolValue).toBe(true);
    expect(fields.get("plain")?.stringValue).toBe("plain-value");
    expect(fields.get("__provider")?.stringValue).toBe(providerText);
    expect(JSON.stringify(made.value)).not.toContain(fakeToken);

    // Made but not initialised: the engine records the resource from ErrorResourceInitFailed.
    const half = await both("create", create({ __provider: providerText, fail: "half" }));
    expect(half).toMatchObject({
      code: grpc.status.UNKNOWN,
      details: "machine made but never started",
      statusDetails: [
        {
          code: grpc.status.UNKNOWN,
          message: "machine made but never started",
          details: [{ typeUrl: "type.googleapis.com/pulumirpc.ErrorResourceInitFailed", value: { id: "fake-half-id", reasonsList: ["health check failed"] } }],
        },
      ],
    });
    const whole = await both("create", create({ __provider: providerText, fail: "whole" }));
    expect(whole).toMatchObject({ code: grpc.status.UNKNOWN, details: "create refused: fake reason", statusDetails: [] });
    expect((await both("create", create({ __provider: bareProviderText }))).value).toMatchObject({ id: "fake-bare" });
  });

  it("Read: the provider's id, props and inputs with __provider; inputs stand in for missing properties", async () => {
    const read = (properties: Record<string, unknown> | undefined, inputs?: Record<string, unknown>) => () => {
      const req = new provider.ReadRequest();
      req.setId("fake-id-1");
      if (properties) req.setProperties(struct(properties));
      if (inputs) req.setInputs(struct(inputs));
      return req;
    };
    expect((await both("read", read({ __provider: providerText, size: 1, withInputs: true }))).value).toMatchObject({ id: "fake-id-1", inputs: { fieldsMap: [["__provider", {}], ["size", { numberValue: 3 }]] } });
    expect((await both("read", read(undefined, { __provider: providerText, size: 2 }))).value).toMatchObject({ id: "fake-id-1" });
    expect((await both("read", read({ __provider: providerText, gone: true }))).value).toMatchObject({ id: "" });
    expect((await both("read", read({ __provider: bareProviderText, kept: "yes" }))).value).toMatchObject({ id: "fake-id-1" });
  });

  it("Update: outputs with __provider; a failure with an id carries ErrorResourceInitFailed", async () => {
    const update = (news: Record<string, unknown>) => () => {
      const req = new provider.UpdateRequest();
      req.setId("fake-id-1");
      req.setOlds(struct({ __provider: providerText, size: 1 }));
      req.setNews(struct(news));
      return req;
    };
    const updated = await both("update", update({ __provider: providerText, size: 2 }));
    expect(JSON.stringify(updated.value)).toContain("fake-id-1");
    const failed = await both("update", update({ __provider: providerText, fail: true }));
    expect(failed).toMatchObject({ code: grpc.status.UNKNOWN, statusDetails: [{ details: [{ value: { id: "fake-id-1", reasonsList: ["fake reason"] } }] }] });
    expect((await both("update", update({ __provider: bareProviderText }))).value).toBeDefined();
  });

  it("Delete: empty on success, UNKNOWN with the provider's message on failure", async () => {
    const del = (props: Record<string, unknown>) => () => {
      const req = new provider.DeleteRequest();
      req.setId("fake-id-1");
      req.setProperties(struct(props));
      return req;
    };
    expect((await both("delete", del({ __provider: providerText }))).value).toEqual({});
    expect(await both("delete", del({ __provider: providerText, undeletable: true }))).toMatchObject({ code: grpc.status.UNKNOWN, details: "delete refused for fake-id-1" });
  });

  it("GetPluginInfo, Cancel, Invoke, List and every method the stock host leaves unimplemented", async () => {
    expect((await both("getPluginInfo", () => new Empty())).value).toEqual({ version: sdkVersion });
    expect((await both("cancel", () => new Empty())).value).toEqual({});
    const invoke = await both("invoke", () => {
      const req = new provider.InvokeRequest();
      req.setTok("test:index:fakeFunction");
      return req;
    });
    expect(invoke).toMatchObject({ code: grpc.status.UNKNOWN, details: "unknown function test:index:fakeFunction" });
    const unimplemented: [string, () => unknown][] = [
      ["handshake", () => new provider.ProviderHandshakeRequest()],
      ["getSchema", () => new provider.GetSchemaRequest()],
      ["checkConfig", () => new provider.CheckRequest()],
      ["diffConfig", () => new provider.DiffRequest()],
      ["construct", () => new provider.ConstructRequest()],
      ["call", () => new provider.CallRequest()],
      ["parameterize", () => new provider.ParameterizeRequest()],
      ["attach", () => new plugin.PluginAttach()],
      ["getMapping", () => new provider.GetMappingRequest()],
      ["getMappings", () => new provider.GetMappingsRequest()],
    ];
    for (const [method, request] of unimplemented) {
      const answer = await both(method, request);
      expect(answer.code, method).toBe(grpc.status.UNIMPLEMENTED);
      expect(answer.details, method).toMatch(/is not implemented by the dynamic provider$/);
    }
    const [stockList, ourList] = [await started.stock!.list(), await started.ours!.list()];
    expect(ourList).toEqual(stockList);
    expect(ourList).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });
});

describe("the host's Struct conversion is google-protobuf's", () => {
  // The engine (Go) writes map entries in no particular order; google-protobuf hands them over sorted.
  const unsorted = { b: 1, a: { z: [3, { y: null, x: "é" }], c: false }, "": "empty key", A: [] as unknown[] };

  it("decodes a Struct written in any key order to the same object, keys in the same order", () => {
    const bytes = structs.encode(unsorted);
    const theirs = Struct.deserializeBinary(bytes).toJavaScript();
    expect(JSON.stringify(structs.decode(bytes))).toBe(JSON.stringify(theirs));
    expect(Object.keys(structs.decode(bytes))).toEqual(["", "A", "a", "b"]);
  });

  it("encodes what google-protobuf decodes to the same value, and refuses what it refuses", () => {
    expect(Struct.deserializeBinary(structs.encode(unsorted)).toJavaScript()).toEqual(unsorted);
    expect(structs.decode(struct(unsorted).serializeBinary())).toEqual(unsorted);
    expect(() => structs.encode({ gone: undefined })).toThrow("Unexpected struct type.");
    expect(() => struct({ gone: undefined })).toThrow("Unexpected struct type.");
  });
});
