// Serves one stand-in provider over Pulumi's ResourceProvider gRPC service, the way a provider
// plugin does: started by the engine with the engine's address as its last argument, it listens on
// a free loopback port and prints that port as its first line of output (pulumi/pulumi
// sdk/go/common/resource/plugin/plugin.go reads it). The SDK's own provider server
// (@pulumi/pulumi/provider) is not used because it drops what a real provider reads: the provider
// configuration passed to Configure, the preview flag of Create/Update, the old inputs of Diff, and
// the detailed diff of its answer. Configure answers acceptSecrets and supportsPreview as the real
// provider does.
import * as grpc from "@grpc/grpc-js";
import nodeModule from "node:module";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as pluginproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import type { DiffKind, HostContext, ResourceHandler, Severity, StandInProvider } from "./types";
import type { PropertyMap } from "./values";

const kinds: Record<DiffKind, provproto.PropertyDiff.Kind> = {
  add: provproto.PropertyDiff.Kind.ADD,
  "add-replace": provproto.PropertyDiff.Kind.ADD_REPLACE,
  delete: provproto.PropertyDiff.Kind.DELETE,
  "delete-replace": provproto.PropertyDiff.Kind.DELETE_REPLACE,
  update: provproto.PropertyDiff.Kind.UPDATE,
  "update-replace": provproto.PropertyDiff.Kind.UPDATE_REPLACE,
};
const severities: Record<Severity, engineproto.LogSeverity> = {
  debug: engineproto.LogSeverity.DEBUG,
  info: engineproto.LogSeverity.INFO,
  warning: engineproto.LogSeverity.WARNING,
  error: engineproto.LogSeverity.ERROR,
};

const toMap = (s: structproto.Struct | undefined): PropertyMap => (s ? (s.toJavaScript() as PropertyMap) : {});
const toStruct = (m: PropertyMap): structproto.Struct => structproto.Struct.fromJavaScript(m as Record<string, structproto.JavaScriptValue>);
/** The type token of a URN: urn:pulumi:stack::project::parent$type::name → type. */
const typeOf = (urn: string): string => (urn.split("::")[2] ?? "").split("$").pop() ?? "";

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

/** Wraps an async handler: a thrown error becomes the gRPC error the engine shows with the resource. */
function unary<Req, Res>(fn: (req: Req) => Promise<Res>): Unary<Req, Res> {
  return (call, callback) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback({ code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) }),
    );
  };
}

export async function serve(provider: StandInProvider, args: string[]): Promise<void> {
  const engineAddress = args.filter((a) => !a.startsWith("-")).pop();
  const engine = engineAddress ? new enginerpc.EngineClient(engineAddress, grpc.credentials.createInsecure()) : undefined;
  const ctx: HostContext = {
    log(severity, urn, message) {
      if (!engine) return;
      const req = new engineproto.LogRequest().setSeverity(severities[severity]).setMessage(message).setUrn(urn);
      engine.log(req, () => undefined);
    },
  };
  const handler = (urn: string): ResourceHandler => {
    const h = provider.resources[typeOf(urn)];
    if (!h) throw new Error(`${provider.name} stand-in: resource type ${typeOf(urn)} is not implemented (only ${Object.keys(provider.resources).join(", ")})`);
    return h;
  };

  const service: grpc.UntypedServiceImplementation = {
    getPluginInfo: unary(async () => new pluginproto.PluginInfo().setVersion(provider.version)),
    cancel: unary(async () => new emptyproto.Empty()),
    attach: unary(async () => new emptyproto.Empty()),
    configure: unary(async (req: provproto.ConfigureRequest) => {
      const config = toMap(req.getArgs());
      await provider.configure?.(config);
      return new provproto.ConfigureResponse().setAcceptsecrets(provider.acceptSecrets).setSupportspreview(provider.supportsPreview);
    }),
    invoke: unary(async (req: provproto.InvokeRequest) => {
      const fn = provider.functions?.[req.getTok()];
      if (!fn) throw new Error(`${provider.name} stand-in: function ${req.getTok()} is not implemented`);
      const outputs = await fn(toMap(req.getArgs()), { ...ctx, preview: req.getPreview() });
      return new provproto.InvokeResponse().setReturn(toStruct(outputs));
    }),
    check: unary(async (req: provproto.CheckRequest) => {
      const h = handler(req.getUrn());
      const news = toMap(req.getNews());
      const result = h.check ? await h.check({ urn: req.getUrn(), olds: toMap(req.getOlds()), news }, ctx) : { inputs: news };
      const resp = new provproto.CheckResponse().setInputs(toStruct(result.inputs));
      resp.setFailuresList((result.failures ?? []).map((f) => new provproto.CheckFailure().setProperty(f.property).setReason(f.reason)));
      return resp;
    }),
    diff: unary(async (req: provproto.DiffRequest) => {
      const h = handler(req.getUrn());
      const d = await h.diff(
        { urn: req.getUrn(), id: req.getId(), oldInputs: toMap(req.getOldInputs()), oldOutputs: toMap(req.getOlds()), news: toMap(req.getNews()) },
        ctx,
      );
      const resp = new provproto.DiffResponse()
        .setChanges(d.changes ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE)
        .setReplacesList(d.replaces ?? [])
        .setDeletebeforereplace(d.deleteBeforeReplace ?? false);
      if (d.detailedDiff) {
        resp.setHasdetaileddiff(true);
        for (const [key, kind] of Object.entries(d.detailedDiff)) {
          resp.getDetaileddiffMap().set(key, new provproto.PropertyDiff().setKind(kinds[kind]).setInputdiff(true));
        }
        resp.setDiffsList(Object.keys(d.detailedDiff).map((k) => k.split(/[.[]/)[0] ?? k));
      }
      return resp;
    }),
    create: unary(async (req: provproto.CreateRequest) => {
      const r = await handler(req.getUrn()).create({ urn: req.getUrn(), inputs: toMap(req.getProperties()), preview: req.getPreview() }, ctx);
      return new provproto.CreateResponse().setId(r.id).setProperties(toStruct(r.outputs));
    }),
    read: unary(async (req: provproto.ReadRequest) => {
      const h = handler(req.getUrn());
      const inputs = toMap(req.getInputs());
      const outputs = toMap(req.getProperties());
      const r = h.read ? await h.read({ urn: req.getUrn(), id: req.getId(), inputs, outputs }, ctx) : { id: req.getId(), inputs, outputs };
      return new provproto.ReadResponse().setId(r.id).setInputs(toStruct(r.inputs)).setProperties(toStruct(r.outputs));
    }),
    update: unary(async (req: provproto.UpdateRequest) => {
      const h = handler(req.getUrn());
      const news = toMap(req.getNews());
      const r = h.update
        ? await h.update({ urn: req.getUrn(), id: req.getId(), oldInputs: toMap(req.getOldInputs()), oldOutputs: toMap(req.getOlds()), news, preview: req.getPreview() }, ctx)
        : { outputs: news };
      return new provproto.UpdateResponse().setProperties(toStruct(r.outputs));
    }),
    delete: unary(async (req: provproto.DeleteRequest) => {
      await handler(req.getUrn()).delete?.({ urn: req.getUrn(), id: req.getId(), oldInputs: toMap(req.getOldInputs()), outputs: toMap(req.getProperties()) }, ctx);
      return new emptyproto.Empty();
    }),
  };

  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(provrpc.ResourceProviderService, service);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  // The engine reads the port from the first line of stdout.
  process.stdout.write(`${port}\n`);
  // The launcher turned Node's compile cache on (install.ts); Node writes it at a normal exit only,
  // and the engine ends plugins with SIGKILL.
  setImmediate(() => nodeModule.flushCompileCache?.());
}
