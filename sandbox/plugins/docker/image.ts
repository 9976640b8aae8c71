// docker.Image (token docker:index/image:Image) as @pulumi/docker 5.2.0 serves it: pulumi-docker's
// native resource in provider/provider.go (Check, Diff, Create, Update, Read, Delete) and
// provider/image.go (dockerBuild, marshalBuildAndApplyDefaults), read at the v5 line (snapshot
// 237b7899, after tag v5.1.0; the npm 5.2.0 release is later than the snapshot):
// - Check fills the build defaults (context ".", dockerfile <context>/Dockerfile, platform
//   linux/<host arch>, buildOnPreview false), refuses a Dockerfile it cannot open with the real
//   messages, refuses an image name that is not fully qualified when it will be pushed, and adds
//   build.contextDigest (context-hash.ts): the context is part of the inputs.
// - Diff compares the inputs recorded in the state (__inputs) with the new ones: any change is an
//   update (never a replacement), except a registry username or password change alone, which is
//   no change ("Does not cause image rebuild when changed").
// - Create and Update build and push; during preview they do neither (buildOnPreview false) and
//   return the inputs, so repoDigest shows as unknown. Outputs: imageName, baseImageName,
//   registryServer, context, dockerfile (relative to the context), platform, repoDigest
//   (<name>@<pushed digest>, or the local image id with skipPush), and __inputs as a secret.
// - Read returns the state as it is; Delete deletes nothing, locally or in the registry.
// Not implemented (the program does not use them): cacheFrom (refused by check) and
// builderVersion BuilderV1 semantics (podman builds either way).
import { existsSync } from "node:fs";
import path from "node:path";
import type { DiffKind, ResourceHandler } from "../host/types";
import { containsUnknown, isSecret, reveal, sameValue, secret, type PropertyMap, type Value } from "../host/values";
import { buildImage, pushImage, type PushAuth } from "./build-push";
import { hashContext } from "./context-hash";
import { registryAddrForAuth } from "./references";

export const DOCKER_IMAGE = "docker:index/image:Image";
export const hostPlatform = `linux/${process.arch === "x64" ? "amd64" : process.arch}`;

type Obj = Record<string, Value>;
const isObj = (v: Value | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const known = (v: Value | undefined): boolean => v !== undefined && v !== null && !containsUnknown(v);

/** Check: the defaults and validations of provider.go Check; throws as the real Check does. */
export function checkImage(news: PropertyMap, log: (message: string) => void, cwd = process.cwd()): PropertyMap {
  // Like the real Check, which unmarshals without KeepSecrets: it works on plain values and returns
  // them; the engine marks secret again what the program gave as secret (annotateSecrets in
  // pulumi/pulumi pkg/resource/plugin/provider_plugin.go).
  const inputs: PropertyMap = { ...(reveal(news) as PropertyMap) };
  inputs.buildOnPreview = typeof news.buildOnPreview === "boolean" ? news.buildOnPreview : false;
  const build: Obj = isObj(inputs.build) ? { ...inputs.build } : { context: ".", dockerfile: "Dockerfile" };
  if (isObj(build.cacheFrom)) throw new Error("cacheFrom is not implemented by the docker stand-in (sandbox/plugins/docker)");
  if (build.builderVersion !== undefined && build.builderVersion !== null && !["BuilderV1", "BuilderBuildKit"].includes(reveal(build.builderVersion) as string)) {
    throw new Error("invalid Docker Builder version");
  }
  if (!containsUnknown(build.context)) build.context = (reveal(build.context) as string | undefined) ?? ".";
  const knownDockerfile = !containsUnknown(build.dockerfile) && !containsUnknown(build.context);
  if (knownDockerfile) {
    build.dockerfile = (reveal(build.dockerfile) as string | undefined) ?? path.posix.join(build.context as string, "Dockerfile");
    const dockerfile = build.dockerfile as string;
    if (!existsSync(path.resolve(cwd, dockerfile))) {
      const reason = `stat ${dockerfile}: no such file or directory`;
      if (path.isAbsolute(dockerfile)) throw new Error(`expected a relative Dockerfile path; got ${JSON.stringify(dockerfile)} instead: ${reason}`);
      const relPath = path.join(build.context as string, dockerfile);
      if (existsSync(path.resolve(cwd, relPath))) {
        throw new Error(`could not open dockerfile at relative path ${JSON.stringify(dockerfile)}. Try setting \`dockerfile\` to ${JSON.stringify(relPath)}`);
      }
      throw new Error(`could not open dockerfile at relative path ${JSON.stringify(dockerfile)}: ${reason}`);
    }
    build.contextDigest = hashContext(build.context as string, dockerfile, cwd);
  }
  if (build.platform === undefined || build.platform === null) {
    build.platform = hostPlatform;
    log(`Building your image for ${hostPlatform} architecture.\nTo ensure you are building for the correct platform, consider explicitly setting the \`platform\` field on ImageBuildOptions.`);
  }
  inputs.build = build;
  const pushing = reveal(inputs.skipPush) !== true;
  if (pushing && typeof inputs.imageName === "string" && !containsUnknown(inputs.imageName)) {
    registryAddrForAuth(serverOf(inputs), inputs.imageName);
  }
  return inputs;
}

const serverOf = (inputs: PropertyMap): string => {
  const registry = reveal(inputs.registry) as Obj | undefined | null;
  return registry && typeof registry.server === "string" ? registry.server : "";
};

/** The inputs a previous create/update recorded (checkpointObject's __inputs, a secret). */
export const recordedInputs = (oldOutputs: PropertyMap): PropertyMap => {
  // parseCheckpointObject: only the outer secret is taken off; secrets inside stay secrets.
  const wrapped = oldOutputs.__inputs;
  const value = isSecret(wrapped) ? wrapped.value : wrapped;
  return isObj(value ?? null) ? (value as PropertyMap) : {};
};

/** provider.go Diff + diffUpdates. */
export function diffImage(oldInputs: PropertyMap, news: PropertyMap): { changes: boolean; detailedDiff: Record<string, DiffKind> } {
  const detailedDiff: Record<string, DiffKind> = {};
  const present = (m: PropertyMap, k: string) => m[k] !== undefined && m[k] !== null;
  for (const key of new Set([...Object.keys(oldInputs), ...Object.keys(news)])) {
    const had = present(oldInputs, key);
    const has = present(news, key);
    if (!had && has) detailedDiff[key] = "add";
    else if (had && !has) detailedDiff[key] = "delete";
    else if (had && has && !sameValue(oldInputs[key], news[key])) {
      if (key === "registry") {
        const o = (reveal(oldInputs.registry) ?? {}) as Obj;
        const n = (reveal(news.registry) ?? {}) as Obj;
        if (isObj(o) && isObj(n) && sameValue(o.server ?? null, n.server ?? null)) continue;
      }
      detailedDiff[key] = "update";
    }
  }
  return { changes: Object.keys(detailedDiff).length > 0, detailedDiff };
}

/** dockerBuild: build, then push unless skipPush; the outputs the real provider records. */
async function buildAndPush(inputs: PropertyMap, log: (message: string) => void): Promise<{ id: string; outputs: PropertyMap }> {
  const plain = reveal(inputs) as Obj;
  const build = plain.build as Obj;
  const imageName = plain.imageName as string;
  const context = build.context as string;
  const dockerfile = build.dockerfile as string;
  const registry = (plain.registry ?? {}) as Obj;
  const args = Object.fromEntries(Object.entries((build.args ?? {}) as Obj).map(([k, v]) => [k, String(v)]));
  const localId = await buildImage(
    {
      imageName,
      context,
      dockerfile,
      platform: build.platform as string,
      args,
      ...(typeof build.target === "string" ? { target: build.target } : {}),
      ...(typeof build.network === "string" ? { network: build.network } : {}),
      addHosts: Array.isArray(build.addHosts) ? (build.addHosts as string[]) : [],
    },
    log,
  );
  const outputs: PropertyMap = {
    dockerfile: path.relative(context, dockerfile) || "Dockerfile",
    context,
    baseImageName: imageName,
    registryServer: (registry.server as string | undefined) ?? "",
    imageName,
    platform: build.platform as string,
  };
  if (plain.skipPush === true) {
    outputs.repoDigest = localId;
  } else {
    const username = typeof registry.username === "string" ? registry.username : "";
    const password = typeof registry.password === "string" ? registry.password : "";
    if ((username === "") !== (password === "")) log(`${username ? "password" : "username"} was not set, although ${username ? "username" : "password"} was; using host credentials file`);
    const auth: PushAuth | undefined = username && password ? { server: registryAddrForAuth(outputs.registryServer as string, imageName), username, password } : undefined;
    outputs.repoDigest = await pushImage(imageName, auth, log);
  }
  return { id: imageName, outputs: { ...outputs, __inputs: secret(inputs) } };
}

export const dockerImage: ResourceHandler = {
  async check({ urn, news }, ctx) {
    return { inputs: checkImage(news, (m) => ctx.log("info", urn, m)) };
  },
  async diff({ oldOutputs, news }) {
    return diffImage(recordedInputs(oldOutputs), news);
  },
  async create({ urn, inputs, preview }, ctx) {
    if (preview && !canBuildOnPreview(inputs)) return { id: "", outputs: inputs };
    return buildAndPush(inputs, (m) => ctx.log("info", urn, m));
  },
  async update({ urn, news, preview }, ctx) {
    if (preview && !canBuildOnPreview(news)) return { outputs: news };
    return { outputs: (await buildAndPush(news, (m) => ctx.log("info", urn, m))).outputs };
  },
  async delete() {
    // "This resource does not delete tags, locally or remotely, when destroyed."
  },
};

/** canPreview: only with buildOnPreview and every build input known. */
function canBuildOnPreview(inputs: PropertyMap): boolean {
  if (inputs.buildOnPreview !== true) return false;
  const build = inputs.build as Obj | undefined;
  return isObj(build ?? null) && known(build!.context) && known(build!.dockerfile) && !containsUnknown(build!.args) && known(inputs.imageName);
}
