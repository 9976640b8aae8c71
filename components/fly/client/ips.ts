// IP assignments of an app: public v4/v6, shared v4, and the private Flycast v6.
import { seg, type CallOptions, type FlyHttp } from "./http";
import { createIpToWire, ipFromWire } from "./mapping";
import type { CreateIpInput, FlyIpAssignment } from "./types";
import { ignoredBodySchema, wireIpListSchema, wireIpSchema } from "./wire";

export class FlyIpsApi {
  constructor(private readonly http: FlyHttp) {}

  async list(appName: string, options: CallOptions = {}): Promise<FlyIpAssignment[]> {
    const wire = await this.http.request({ ...options, method: "GET", path: `/apps/${seg(appName)}/ip_assignments`, schema: wireIpListSchema });
    return (wire.ips ?? []).map(ipFromWire);
  }

  async create(appName: string, input: CreateIpInput, options: CallOptions = {}): Promise<FlyIpAssignment> {
    const wire = await this.http.request({
      ...options,
      method: "POST",
      path: `/apps/${seg(appName)}/ip_assignments`,
      body: createIpToWire(input),
      schema: wireIpSchema,
    });
    // The answer may not say the type (the document has no such field): keep the one asked for.
    return { ...ipFromWire(wire), type: input.type };
  }

  async delete(appName: string, ip: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({ ...options, method: "DELETE", path: `/apps/${seg(appName)}/ip_assignments/${seg(ip)}`, schema: ignoredBodySchema });
  }
}
