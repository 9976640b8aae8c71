// How the dynamic providers reach Fly: the token and URL are read at call time from the stack
// config handed to configure() (textslash:flyApiToken / textslash:flyApiUrl), falling back to
// FLY_API_TOKEN / FLY_API_URL. Nothing here is an input or output, so the token never reaches state.
import type * as pulumi from "@pulumi/pulumi";
import { FlyClient, isFlyNotFound } from "./client";

export interface FlyConnectionState {
  apiUrl?: string | undefined;
  apiToken?: string | undefined;
}

/** Builds the configure() hook and the client factory for one provider object. */
export function flyConnection() {
  const state: FlyConnectionState = {};
  return {
    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
      state.apiUrl = req.config.get("textslash:flyApiUrl") || undefined;
      state.apiToken = req.config.get("textslash:flyApiToken") || undefined;
    },
    client(): FlyClient {
      return new FlyClient({ config: { apiUrl: state.apiUrl, apiToken: state.apiToken } });
    },
  };
}

/** Runs a delete; a 404 means the object is already gone, which is what delete wants. */
export async function ignoreNotFound(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!isFlyNotFound(err)) throw err;
  }
}

/** The engine's "unknown during preview" marker (pulumi/pulumi#6310). */
export const UNKNOWN_MARKER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const isUnknown = (v: unknown): boolean => v === UNKNOWN_MARKER;
