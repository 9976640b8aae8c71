// Apps: create, get, delete.
import { z } from "zod";
import { seg, type CallOptions, type FlyHttp } from "./http";
import { appFromWire, createAppToWire } from "./mapping";
import type { CreateAppInput, FlyApp } from "./types";
import { ignoredBodySchema, wireAppSchema } from "./wire";

export class FlyAppsApi {
  constructor(private readonly http: FlyHttp) {}

  /**
   * Creates an app. Fly's answer varies (an app object, `{id, created_at}`, or nothing), so unless it
   * is a full app the client reads the app back.
   */
  async create(input: CreateAppInput, options: CallOptions = {}): Promise<FlyApp> {
    const answer = await this.http.request({
      ...options,
      method: "POST",
      path: "/apps",
      body: createAppToWire(input),
      schema: z.unknown(),
    });
    const asApp = wireAppSchema.safeParse(answer);
    if (asApp.success && asApp.data.name === input.name && asApp.data.organization) return appFromWire(asApp.data);
    return this.get(input.name);
  }

  async get(appName: string, options: CallOptions = {}): Promise<FlyApp> {
    const wire = await this.http.request({ ...options, method: "GET", path: `/apps/${seg(appName)}`, schema: wireAppSchema });
    return appFromWire(wire);
  }

  /** Deletes the app and everything in it (machines, volumes, IPs, secrets). */
  async delete(appName: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({ ...options, method: "DELETE", path: `/apps/${seg(appName)}`, schema: ignoredBodySchema });
  }
}
