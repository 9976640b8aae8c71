// The protobuf messages of Pulumi's ResourceProvider service that the dynamic-provider host reads and
// writes, as plain objects, on protobufjs's wire reader and writer. The stock host decodes every
// request into google-protobuf message objects and converts their Structs with toJavaScript: in a
// no-op `up` that was a fifth of its CPU (docs/deploy-benchmarks.md, "The dynamic-provider host").
// Field numbers are those of pulumi/pulumi proto/pulumi/provider.proto, plugin.proto and
// google/rpc/status.proto at the SDK version this project pins (the generated
// @pulumi/pulumi/proto/provider_pb.js says the same); the Struct conversion keeps
// google-protobuf's struct_pb.js semantics (toJavaScript / fromJavaScript), which the stock host uses.
"use strict";
const { Reader, Writer } = require("protobufjs/minimal");

const LEN = 2;
const tag = (field, wireType) => ((field << 3) | wireType) >>> 0;

// ---- google.protobuf.Struct / Value / ListValue <-> plain JavaScript ----

/** A Value with no kind set converts to nothing, as in google-protobuf (Value.prototype.toJavaScript). */
const noKind = () => new Error("Unexpected struct type");

function readValue(r, end) {
  let value;
  let set = false;
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1: r.int32(); value = null; set = true; break; // null_value
      case 2: value = r.double(); set = true; break; // number_value
      case 3: value = r.string(); set = true; break; // string_value
      case 4: value = r.bool(); set = true; break; // bool_value
      case 5: value = readStruct(r, r.uint32() + r.pos); set = true; break; // struct_value
      case 6: value = readList(r, r.uint32() + r.pos); set = true; break; // list_value
      default: r.skipType(t & 7);
    }
  }
  if (!set) throw noKind();
  return value;
}

function readList(r, end) {
  const out = [];
  while (r.pos < end) {
    const t = r.uint32();
    if (t === tag(1, LEN)) out.push(readValue(r, r.uint32() + r.pos));
    else r.skipType(t & 7);
  }
  return out;
}

/**
 * A Struct as a plain object. Keys come out sorted, as google-protobuf's map iteration gives them
 * (jspb.Map.forEach sorts), so a provider sees objects in the order the stock host gave it.
 */
function readStruct(r, end) {
  const fields = new Map();
  while (r.pos < end) {
    const t = r.uint32();
    if (t !== tag(1, LEN)) {
      r.skipType(t & 7);
      continue;
    }
    const entryEnd = r.uint32() + r.pos;
    let key = "";
    let value;
    let hasValue = false;
    while (r.pos < entryEnd) {
      const et = r.uint32();
      if (et === tag(1, LEN)) key = r.string();
      else if (et === tag(2, LEN)) {
        value = readValue(r, r.uint32() + r.pos);
        hasValue = true;
      } else r.skipType(et & 7);
    }
    if (!hasValue) throw noKind(); // a map entry without a value is an empty Value
    fields.set(key, value);
  }
  const out = {};
  for (const key of [...fields.keys()].sort()) out[key] = fields.get(key);
  return out;
}

/** goog.typeOf as google-protobuf's Value.fromJavaScript switches on it. */
function kindOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function writeValue(w, value) {
  switch (kindOf(value)) {
    case "string": w.uint32(tag(3, LEN)).string(value); break;
    case "number": w.uint32(tag(2, 1)).double(value); break;
    case "boolean": w.uint32(tag(4, 0)).bool(value); break;
    case "null": w.uint32(tag(1, 0)).int32(0); break;
    case "array":
      w.uint32(tag(6, LEN)).fork();
      for (const item of value) writeValue(w.uint32(tag(1, LEN)).fork(), item), w.ldelim();
      w.ldelim();
      break;
    case "object":
      w.uint32(tag(5, LEN)).fork();
      writeStructFields(w, value);
      w.ldelim();
      break;
    default:
      throw new Error("Unexpected struct type.");
  }
}

function writeStructFields(w, obj) {
  // for...in, as Struct.fromJavaScript iterates.
  for (const key in obj) {
    w.uint32(tag(1, LEN)).fork();
    w.uint32(tag(1, LEN)).string(key);
    w.uint32(tag(2, LEN)).fork();
    writeValue(w, obj[key]);
    w.ldelim();
    w.ldelim();
  }
}

function writeStruct(w, field, obj) {
  w.uint32(tag(field, LEN)).fork();
  writeStructFields(w, obj);
  w.ldelim();
}

// ---- requests ----

/**
 * Decodes a request: `layout` maps field numbers to [name, kind], kind one of "string", "struct",
 * "strings", "bool", "double". Absent Structs are undefined (the stock host's getter gives undefined too).
 */
function decoder(layout) {
  return (buffer) => {
    const r = Reader.create(buffer);
    const out = {};
    while (r.pos < r.len) {
      const t = r.uint32();
      const spec = layout[t >>> 3];
      if (spec === undefined) {
        r.skipType(t & 7);
        continue;
      }
      const [name, kind] = spec;
      if (kind === "string") out[name] = r.string();
      else if (kind === "struct") out[name] = readStruct(r, r.uint32() + r.pos);
      else if (kind === "strings") (out[name] ??= []).push(r.string());
      else if (kind === "bool") out[name] = r.bool();
      else if (kind === "double") out[name] = r.double();
      else r.skipType(t & 7);
    }
    return out;
  };
}

const requests = {
  configure: decoder({ 2: ["args", "struct"], 3: ["acceptSecrets", "bool"], 7: ["id", "string"], 8: ["urn", "string"] }),
  invoke: decoder({ 1: ["tok", "string"] }),
  check: decoder({ 1: ["urn", "string"], 2: ["olds", "struct"], 3: ["news", "struct"], 6: ["name", "string"], 7: ["type", "string"] }),
  diff: decoder({ 1: ["id", "string"], 2: ["urn", "string"], 3: ["olds", "struct"], 4: ["news", "struct"], 5: ["ignoreChanges", "strings"], 6: ["oldInputs", "struct"] }),
  create: decoder({ 1: ["urn", "string"], 2: ["properties", "struct"], 3: ["timeout", "double"], 4: ["preview", "bool"] }),
  read: decoder({ 1: ["id", "string"], 2: ["urn", "string"], 3: ["properties", "struct"], 4: ["inputs", "struct"] }),
  update: decoder({ 1: ["id", "string"], 2: ["urn", "string"], 3: ["olds", "struct"], 4: ["news", "struct"], 5: ["timeout", "double"], 6: ["ignoreChanges", "strings"], 7: ["preview", "bool"], 8: ["oldInputs", "struct"] }),
  delete: decoder({ 1: ["id", "string"], 2: ["urn", "string"], 3: ["properties", "struct"], 4: ["timeout", "double"], 5: ["oldInputs", "struct"] }),
  /** google.protobuf.Empty, and the requests of the methods answered without reading them. */
  ignored: () => ({}),
};

// ---- responses ----

const finish = (w) => w.finish();
const DiffChanges = { DIFF_UNKNOWN: 0, DIFF_NONE: 1, DIFF_SOME: 2 };

const responses = {
  /** google.protobuf.Empty, and ConfigureResponse{acceptSecrets: false} (all defaults: no bytes). */
  empty: () => Buffer.alloc(0),
  check({ inputs, failures }) {
    const w = Writer.create();
    writeStruct(w, 1, inputs);
    for (const f of failures) {
      w.uint32(tag(2, LEN)).fork();
      if (f.property) w.uint32(tag(1, LEN)).string(String(f.property));
      if (f.reason) w.uint32(tag(2, LEN)).string(String(f.reason));
      w.ldelim();
    }
    return finish(w);
  },
  diff({ changes, replaces, deleteBeforeReplace }) {
    const w = Writer.create();
    for (const r of replaces ?? []) w.uint32(tag(1, LEN)).string(r);
    if (deleteBeforeReplace) w.uint32(tag(3, 0)).bool(true);
    if (changes) w.uint32(tag(4, 0)).int32(changes);
    return finish(w);
  },
  create({ id, properties }) {
    const w = Writer.create();
    if (id) w.uint32(tag(1, LEN)).string(id);
    writeStruct(w, 2, properties);
    return finish(w);
  },
  read({ id, properties, inputs }) {
    const w = Writer.create();
    if (id) w.uint32(tag(1, LEN)).string(id);
    writeStruct(w, 2, properties);
    if (inputs !== undefined) writeStruct(w, 3, inputs);
    return finish(w);
  },
  update({ properties }) {
    const w = Writer.create();
    writeStruct(w, 1, properties);
    return finish(w);
  },
  /** pulumirpc.PluginInfo */
  pluginInfo({ version }) {
    const w = Writer.create();
    if (version) w.uint32(tag(1, LEN)).string(version);
    return finish(w);
  },
};

/**
 * The `grpc-status-details-bin` trailer of a create or update whose resource was made but did not
 * initialise: google.rpc.Status{code, message, details: [Any(pulumirpc.ErrorResourceInitFailed)]}.
 */
function initFailedStatus({ code, message, id, properties, reasons }) {
  const detail = Writer.create();
  detail.uint32(tag(1, LEN)).string(id);
  writeStruct(detail, 2, properties);
  for (const reason of reasons) detail.uint32(tag(3, LEN)).string(reason);
  const w = Writer.create();
  if (code) w.uint32(tag(1, 0)).int32(code);
  if (message) w.uint32(tag(2, LEN)).string(message);
  w.uint32(tag(3, LEN)).fork();
  w.uint32(tag(1, LEN)).string("type.googleapis.com/pulumirpc.ErrorResourceInitFailed");
  w.uint32(tag(2, LEN)).bytes(detail.finish());
  w.ldelim();
  return finish(w);
}

/** A whole google.protobuf.Struct message to and from a plain object (for tests of the conversion). */
const structs = {
  encode(obj) {
    const w = Writer.create();
    writeStructFields(w, obj);
    return finish(w);
  },
  decode(buffer) {
    const r = Reader.create(buffer);
    return readStruct(r, r.len);
  },
};

module.exports = { requests, responses, initFailedStatus, DiffChanges, structs };
