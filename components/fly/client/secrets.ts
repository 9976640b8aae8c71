// App secrets: list (names and digests only) and update (set and unset in one versioned step).
import { seg, type CallOptions, type FlyHttp } from "./http";
import { secretFromWire } from "./mapping";
import type { FlySecretInfo, SecretsUpdateResult } from "./types";
import { wireSecretsListSchema, wireSecretsUpdateSchema } from "./wire";

export class FlySecretsApi {
  constructor(private readonly http: FlyHttp) {}

  async list(appName: string, options: CallOptions = {}): Promise<FlySecretInfo[]> {
    const wire = await this.http.request({ ...options, method: "GET", path: `/apps/${seg(appName)}/secrets`, schema: wireSecretsListSchema });
    return (wire.secrets ?? []).map(secretFromWire);
  }

  /**
   * Sets the given secrets; a `null` value unsets that key. Returns the app's new secrets version,
   * which machines only see once created/updated with `minSecretsVersion` at least that.
   */
  async update(appName: string, values: Record<string, string | null>, options: CallOptions = {}): Promise<SecretsUpdateResult> {
    const wire = await this.http.request({
      ...options,
      method: "POST",
      path: `/apps/${seg(appName)}/secrets`,
      body: { values },
      schema: wireSecretsUpdateSchema,
    });
    return { version: (wire.version ?? wire.Version) as number, secrets: (wire.secrets ?? []).map(secretFromWire) };
  }
}
