// This project's `pulumi-nodejs` resource provider: the process the engine starts to run dynamic
// resources (every Fly and Twilio resource of the stack), declared in Pulumi.yaml (`plugins:
// providers:`), which the CLI prefers over the plugin it bundles (pulumi/pulumi
// sdk/go/common/workspace/plugins.go, getPluginInfoAndPath: project plugins first).
//
// It answers exactly as the stock host does (@pulumi/pulumi cmd/dynamic-provider/index.js, at the
// SDK version this project pins): the same methods, the same `__provider` handling (each distinct
// text evaluated once, as a CommonJS module whose handler() returns the provider, configured with
// the provider's config on first use), the same state shape, Configure's acceptSecrets false (so
// the engine keeps secrets out of the calls and marks the outputs of secret inputs secret itself),
// create/update failures with ErrorResourceInitFailed details, and UNIMPLEMENTED for the rest.
// What it leaves out is what the stock host loads and never needs for this: all of
// @pulumi/pulumi's runtime (closure serialization, the TypeScript compiler's parser, source maps)
// and google-protobuf's message classes. Measured in docs/deploy-benchmarks.md.
"use strict";
// First, so that grpc-js, protobufjs and the providers' bundle load from Node's compile cache.
const { useCompileCache, flushCompileCache } = require("../compile-cache.cjs");
useCompileCache("provider-host");
const grpc = require("@grpc/grpc-js");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { requests, responses, initFailedStatus, DiffChanges } = require("./wire.cjs");

const providerKey = "__provider";
/** The engine's unknown value and secret signature (@pulumi/pulumi runtime/rpc.ts). */
const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const specialSigKey = "4dabf18193072939515e22adb298388d";
const specialSecretSig = "1b47061264138c4ac30d75fd1eb44270";
/** @pulumi/pulumi runtime/settings.ts grpcChannelOptions: 400 MB messages, as the stock host. */
const grpcOptions = { "grpc.max_receive_message_length": 1024 * 1024 * 400, "grpc.server_max_unrequested_time_in_server": 30 * 60 };

// Any uncaught error makes the exit code non-zero, as in the stock host.
const uncaughtErrors = new Set();
const uncaughtHandler = (err) => {
  if (!uncaughtErrors.has(err)) {
    uncaughtErrors.add(err);
    console.error((err && (err.stack || err.message)) || `${err}`);
  }
};
process.on("uncaughtException", uncaughtHandler);
process.on("unhandledRejection", uncaughtHandler);
process.on("exit", (code) => {
  if (code === 0 && uncaughtErrors.size > 0) process.exitCode = 1;
});

/** The SDK version the stock host reports in GetPluginInfo: the installed @pulumi/pulumi's. */
function sdkVersion() {
  try {
    return require(require.resolve("@pulumi/pulumi/version", { paths: [process.cwd(), __dirname] })).version;
  } catch {
    return "";
  }
}

/** require-from-string 2.0.2 (what the stock host uses): a module with no file, resolving from the cwd. */
function requireFromString(code) {
  const m = new Module("", module);
  m.filename = "";
  m.paths = Module._nodeModulePaths(path.dirname(""));
  m._compile(code, "");
  const i = module.children.indexOf(m);
  if (i !== -1) module.children.splice(i, 1);
  return m.exports;
}

/** @pulumi/pulumi cmd/dynamic-provider/config.ts: keys without a namespace are the project's. */
class Config {
  constructor(rawConfig, projectName) {
    this.rawConfig = rawConfig;
    this.projectName = projectName;
  }
  get(key) {
    if (!key.includes(":")) key = `${this.projectName}:${key}`;
    return this.rawConfig[key];
  }
  require(key) {
    const value = this.get(key);
    if (value === undefined) throw new Error(`Missing required configuration key: ${key}`);
    return value;
  }
}

/** The stock host's project name in a provider process (runtime/state.ts: PULUMI_NODEJS_PROJECT or "project"). */
const projectName = () => process.env.PULUMI_NODEJS_PROJECT || "project";

const providerCache = {};
async function getProvider(props, rawConfig) {
  const text = props[providerKey];
  let provider = providerCache[text];
  if (!provider) {
    provider = requireFromString(text).handler();
    providerCache[text] = provider;
    if (provider.configure) await provider.configure({ config: new Config(rawConfig, projectName()) });
  }
  return provider;
}

const withProvider = (result, props) => Object.assign(result || {}, { [providerKey]: props[providerKey] });

/** The error answer of create and update: ErrorResourceInitFailed details when the resource was made. */
function errorAnswer(e) {
  const metadata = new grpc.Metadata();
  const message = e && e.message;
  if (e && e.id) {
    const status = initFailedStatus({ code: grpc.status.UNKNOWN, message, id: String(e.id), properties: e.properties || {}, reasons: e.reasons || [] });
    metadata.add("grpc-status-details-bin", status);
  }
  return { code: grpc.status.UNKNOWN, message, metadata };
}

/** Runs a handler; other errors are logged and returned as the stock host does (status UNKNOWN). */
const logged = (fn) => async (call, callback) => {
  try {
    callback(null, await fn(call.request));
  } catch (e) {
    console.error(`${e}: ${e && e.stack}`);
    callback(e, null);
  }
};

const unimplemented = (name) => (_call, callback) =>
  callback({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by the dynamic provider` }, null);

function service() {
  let config = {};
  return {
    Cancel: (_call, callback) => callback(null, {}),
    Configure: logged((req) => {
      if (!req.args) throw new Error("ConfigureRequest missing args");
      const next = {};
      for (const [k, v] of Object.entries(req.args)) {
        if (k === providerKey) continue;
        next[k] = v && typeof v === "object" && v[specialSigKey] === specialSecretSig ? v.value : v;
      }
      config = next;
      // Once this answer has gone out. From a setImmediate the warm-up ran before http2 had sent
      // it, and the engine waited it out (Configure took 226 ms in its log); a timer runs after.
      setTimeout(preloadProviders, 0);
      return {};
    }),
    Invoke: (call, callback) => callback(new Error(`unknown function ${call.request.tok || ""}`), null),
    Check: logged(async (req) => {
      const olds = req.olds || {};
      const news = req.news || {};
      const provider = await getProvider(news[providerKey] === unknownValue ? olds : news, config);
      let inputs = news;
      let failures = [];
      if (provider.check) {
        const result = await provider.check(olds, news);
        if (result.inputs) inputs = result.inputs;
        if (result.failures) failures = result.failures;
      }
      inputs[providerKey] = news[providerKey];
      return { inputs, failures };
    }),
    CheckConfig: unimplemented("CheckConfig"),
    Diff: logged(async (req) => {
      const olds = req.olds || {};
      const news = req.news || {};
      const provider = await getProvider(news[providerKey] === unknownValue ? olds : news, config);
      if (!provider.diff) return {};
      const result = await provider.diff(req.id || "", olds, news);
      const changes = result.changes === true ? DiffChanges.DIFF_SOME : result.changes === false ? DiffChanges.DIFF_NONE : DiffChanges.DIFF_UNKNOWN;
      return { changes, replaces: result.replaces, deleteBeforeReplace: result.deleteBeforeReplace };
    }),
    DiffConfig: unimplemented("DiffConfig"),
    Create: async (call, callback) => {
      try {
        const props = call.request.properties || {};
        const provider = await getProvider(props, config);
        const result = await provider.create(props);
        callback(null, { id: result.id, properties: withProvider(result.outs, props) });
      } catch (e) {
        const answer = errorAnswer(e);
        callback(answer, null, answer.metadata);
      }
    },
    Read: logged(async (req) => {
      const id = req.id || "";
      // Refresh passes the prior outputs; a user's get() passes only inputs (stock host: same fallback).
      let props = req.properties || {};
      if (Object.keys(props).length === 0 && req.inputs) props = req.inputs;
      const provider = await getProvider(props, config);
      if (!provider.read) return { id, properties: props };
      const result = await provider.read(id, props);
      return {
        id: result.id,
        properties: withProvider(result.props, props),
        inputs: result.inputs ? withProvider(result.inputs, props) : undefined,
      };
    }),
    Update: async (call, callback) => {
      try {
        const req = call.request;
        const olds = req.olds || {};
        const news = req.news || {};
        const provider = await getProvider(news, config);
        const result = (provider.update && (await provider.update(req.id || "", olds, news))) || {};
        callback(null, { properties: withProvider(result.outs, news) });
      } catch (e) {
        const answer = errorAnswer(e);
        callback(answer, null, answer.metadata);
      }
    },
    Delete: logged(async (req) => {
      const props = req.properties || {};
      const provider = await getProvider(props, config);
      if (provider.delete) await provider.delete(req.id || "", props);
      return {};
    }),
    GetPluginInfo: (_call, callback) => callback(null, { version: sdkVersion() }),
    Handshake: unimplemented("Handshake"),
    GetSchema: unimplemented("GetSchema"),
    Construct: unimplemented("Construct"),
    Parameterize: unimplemented("Parameterize"),
    Call: unimplemented("Call"),
    Attach: unimplemented("Attach"),
    GetMapping: unimplemented("GetMapping"),
    GetMappings: unimplemented("GetMappings"),
    List: (call) => call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "List is not implemented by the dynamic provider" }),
  };
}

/**
 * The ResourceProvider service definition with this host's codecs. Methods the stock host does not
 * implement at all (StreamInvoke) are absent, so grpc-js answers them UNIMPLEMENTED as it does there.
 */
const identity = (x) => x;
const method = (name, request, response, responseStream = false) => ({
  path: `/pulumirpc.ResourceProvider/${name}`,
  requestStream: false,
  responseStream,
  requestDeserialize: request,
  requestSerialize: identity,
  responseSerialize: response,
  responseDeserialize: identity,
  originalName: name,
});
const unanswered = (name) => method(name, requests.ignored, responses.empty);
const definition = {
  Handshake: unanswered("Handshake"),
  Parameterize: unanswered("Parameterize"),
  GetSchema: unanswered("GetSchema"),
  CheckConfig: unanswered("CheckConfig"),
  DiffConfig: unanswered("DiffConfig"),
  Configure: method("Configure", requests.configure, responses.empty),
  Invoke: method("Invoke", requests.invoke, responses.empty),
  Call: unanswered("Call"),
  Check: method("Check", requests.check, responses.check),
  Diff: method("Diff", requests.diff, responses.diff),
  Create: method("Create", requests.create, responses.create),
  Read: method("Read", requests.read, responses.read),
  List: method("List", requests.ignored, responses.empty, true),
  Update: method("Update", requests.update, responses.update),
  Delete: method("Delete", requests.delete, responses.empty),
  Construct: unanswered("Construct"),
  Cancel: method("Cancel", requests.ignored, responses.empty),
  GetPluginInfo: method("GetPluginInfo", requests.ignored, responses.pluginInfo),
  Attach: unanswered("Attach"),
  GetMapping: unanswered("GetMapping"),
  GetMappings: unanswered("GetMappings"),
};

/** Starts the server on 127.0.0.1 and resolves with its port (the engine reads it from stdout). */
async function serve() {
  const server = new grpc.Server(grpcOptions);
  server.addService(definition, service());
  const port = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

/**
 * Loads what the first Check would load, the project's providers (their bundle, zod and the Fly
 * client: 0.1-0.2 s), once this host is configured: the engine asks nothing more of it until a
 * resource registers, and meanwhile often starts the stack's other plugins, one after another. The
 * bundle loader keeps one copy per process, which the `__provider` texts then find loaded
 * (components/bundles.cjs, the same path they require). A failure here is left to that first
 * Check, which loads again and reports it.
 */
let preloaded = false;
function preloadProviders() {
  if (preloaded) return;
  preloaded = true;
  const loader = path.join(process.cwd(), "components", "bundles.cjs");
  try {
    if (fs.existsSync(loader)) require(loader).preload(process.cwd());
  } catch {
    // reported by the Check that needs the bundle
  }
  flushCompileCache();
}

module.exports = { serve, definition };

if (require.main === module) {
  // The engine passes its own address; like the stock host, refuse to start without one.
  if (process.argv.length <= 2) {
    console.error("fatal: Missing <engine> address");
    process.exit(-1);
  }
  serve().then(({ port }) => console.log(port.toString()), uncaughtHandler);
}
