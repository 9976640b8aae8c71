// The local Fly API: a node:http server speaking Fly's Machines REST API against in-memory state.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadFlyOpenApi } from "../openapi";
import { addForeignApp, deleteApp } from "./apps";
import { stateOf } from "./control";
import { HttpError } from "./errors";
import { SandboxCore } from "./core";
import { emptyStore, nowIso, type StoreData } from "./model";
import { loadStore } from "./persist";
import { RateLimiter, seededRandom } from "./ratelimit";
import { createHandler, RequestLog, type RequestValidator } from "./server";
import type { ExecResponder, FlyApiFaults, FlyApiOptions, LocalFlyApi } from "./types";

export type * from "./types";

const DEFAULT_TRANSITION_MS = 30;

// Compiling the document's validators is the slow part of a start: share one per spec path across servers.
const validators = new Map<string, RequestValidator>();

function loadValidator(options: FlyApiOptions, log: (line: string) => void): RequestValidator | undefined {
  const key = options.openApiSpecPath ?? "(default)";
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  try {
    const validator = loadFlyOpenApi(options.openApiSpecPath);
    validators.set(key, validator);
    return validator;
  } catch (err) {
    // Without Fly's document the sandbox still works; requests are then checked by the handlers' zod schemas only.
    log(`local Fly API: strict OpenAPI request validation is off: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * Machines that were running when the sandbox stopped: their processes are gone. With a runtime they are started
 * again; without one they come back "stopped".
 */
function settleRestored(core: SandboxCore): void {
  // A delete accepted before the restart finishes now.
  for (const app of Object.values(core.data.apps)) if (app.deleting === true) void deleteApp(core, app.name).catch(() => undefined);
  for (const m of Object.values(core.data.machines)) {
    const wasUp = ["created", "starting", "started", "replacing", "updating"].includes(m.state);
    if (m.state === "destroying") m.state = "destroyed";
    else if (m.state !== "destroyed" && m.state !== "stopped") m.state = "stopped";
    delete m.runtimePort;
    delete m.startedAt;
    m.updatedAt = nowIso();
    if (wasUp && core.runtime !== undefined) core.launch(m, "start");
  }
  core.changed();
}

export async function startFlyApi(options: FlyApiOptions): Promise<LocalFlyApi> {
  if (options.token === "") throw new Error("startFlyApi: token must not be empty (clients send it as 'Authorization: Bearer <token>')");
  const log = options.log ?? ((line: string) => console.error(line));
  const data: StoreData = options.persistPath !== undefined ? loadStore(options.persistPath) : emptyStore();
  const core = new SandboxCore(data, {
    runtime: options.runtime,
    persistPath: options.persistPath,
    log,
    transitionMs: options.transitionMs ?? DEFAULT_TRANSITION_MS,
    defaultRegion: options.defaultRegion ?? "ord",
    appLifecycleMs: options.appLifecycleMs ?? 3 * (options.transitionMs ?? DEFAULT_TRANSITION_MS),
  });
  const limiter = new RateLimiter(options.rateLimitClock);
  const requestLog = new RequestLog();
  let random = seededRandom(1);
  let execResponder: ExecResponder | undefined;

  const controls = {
    requests: () => requestLog.entries.map((e) => ({ ...e })),
    clearRequests: () => {
      requestLog.entries.length = 0;
    },
    setFaults: (f: FlyApiFaults) => {
      // A copy: loseAnswers counts down as answers are lost.
      core.faults = { ...f, ...(f.loseAnswers ? { loseAnswers: { ...f.loseAnswers } } : {}) };
      random = seededRandom(f.seed ?? 1);
    },
    setRateLimits: (on: boolean) => {
      limiter.enabled = on;
      limiter.reset();
    },
    state: () => stateOf(core),
    addForeignApp: (name: string) => addForeignApp(core, name),
    setExecResponder: (responder: ExecResponder | undefined) => {
      execResponder = responder;
    },
    setVolumeState: (id: string, state: string) => {
      const v = core.data.volumes[id];
      if (v === undefined) throw new HttpError(404, `setVolumeState: no volume ${id}`);
      v.state = state;
      core.changed();
    },
  };

  const handler = createHandler(
    { core, token: options.token, limiter, validator: loadValidator(options, log), controls, random: () => random(), checkResponses: options.checkResponses ?? false,
      execResponder: () => execResponder },
    requestLog,
  );
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  settleRestored(core);
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    token: options.token,
    ...controls,
    writeCount: () => requestLog.writes,
    close: async () => {
      core.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
