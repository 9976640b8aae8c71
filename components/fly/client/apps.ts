// Apps: create, get, delete (and waiting for either to take effect), following fly-go's flaps client.
import { z } from "zod";
import { FlyApiError } from "./errors";
import { seg, type CallOptions, type FlyHttp } from "./http";
import { appFromWire, createAppToWire } from "./mapping";
import type { CreateAppInput, FlyApp } from "./types";
import { ignoredBodySchema, wireAppSchema } from "./wire";

/** fly-go's flaps.Retry: exponential backoff from 100 ms, at most 500 ms apart, for up to a minute. */
const APP_WAIT = { firstDelayMs: 100, maxDelayMs: 500, totalMs: 60_000 } as const;

export class FlyAppsApi {
  constructor(private readonly http: FlyHttp) {}

  /**
   * Creates an app the way fly-go does (flaps_apps.go CreateApp, then WaitForApp): `POST /apps?wait=true`, so Fly
   * answers once the app exists, and when the answer is not the full app, a read that rides out the 404/401 a
   * just-created app can still give. Nothing reads or writes the app before it exists.
   */
  async create(input: CreateAppInput, options: CallOptions = {}): Promise<FlyApp> {
    const answer = await this.http.request({
      ...options,
      method: "POST",
      path: "/apps",
      query: { wait: true },
      body: createAppToWire(input),
      schema: z.unknown(),
    });
    const asApp = wireAppSchema.safeParse(answer);
    if (asApp.success && asApp.data.name === input.name && asApp.data.organization) return appFromWire(asApp.data);
    return this.waitUntilReadable(input.name);
  }

  /** The organization's apps (the document requires `org_slug`). */
  async list(orgSlug: string, options: CallOptions = {}): Promise<FlyApp[]> {
    const wire = await this.http.request({
      ...options,
      method: "GET",
      path: "/apps",
      query: { org_slug: orgSlug },
      schema: z.looseObject({ apps: z.array(wireAppSchema).nullable().optional() }),
    });
    return (wire.apps ?? []).map(appFromWire);
  }

  async get(appName: string, options: CallOptions = {}): Promise<FlyApp> {
    const wire = await this.http.request({ ...options, method: "GET", path: `/apps/${seg(appName)}`, schema: wireAppSchema });
    return appFromWire(wire);
  }

  /** fly-go's WaitForApp: reads the app until it answers, retrying only 404 and 401 (not there yet). */
  async waitUntilReadable(appName: string): Promise<FlyApp> {
    const deadline = this.http.now() + APP_WAIT.totalMs;
    for (let delay: number = APP_WAIT.firstDelayMs; ; delay = Math.min(delay * 2, APP_WAIT.maxDelayMs)) {
      try {
        return await this.get(appName);
      } catch (err) {
        const notYet = err instanceof FlyApiError && (err.status === 404 || err.status === 401);
        if (!notYet || this.http.now() + delay > deadline) throw err;
      }
      await this.http.sleep(delay);
    }
  }

  /**
   * Deletes the app and everything in it (machines, volumes, IPs, secrets). Fly answers 202 and deletes
   * asynchronously; `waitUntilGone` polls until the app is no longer there.
   */
  async delete(appName: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({ ...options, method: "DELETE", path: `/apps/${seg(appName)}`, schema: ignoredBodySchema });
  }

  /** Reads the app until Fly says it is gone (404); throws naming the app if it is still there after `timeoutMs`. */
  async waitUntilGone(appName: string, timeoutMs = 120_000): Promise<void> {
    const deadline = this.http.now() + timeoutMs;
    for (let delay: number = APP_WAIT.firstDelayMs; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        await this.get(appName);
      } catch (err) {
        if (err instanceof FlyApiError && err.status === 404) return;
        throw err;
      }
      if (this.http.now() + delay > deadline) {
        throw new FlyApiError({
          method: "GET",
          path: `/v1/apps/${seg(appName)}`,
          status: 408,
          flyMessage: `app ${appName} was still there ${Math.round(timeoutMs / 1000)}s after its delete was accepted; check \`fly apps list\` and run the destroy again`,
        });
      }
      await this.http.sleep(delay);
    }
  }
}
