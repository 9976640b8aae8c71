// The contract between the stand-in host (serve.ts) and one stand-in provider: each resource type
// token maps to a handler of Pulumi's CRUD calls, with the fields of the real gRPC requests a real
// provider reads (old inputs and old outputs apart, the preview flag). Property maps are plain
// JSON in Pulumi's wire shapes (values.ts).
import type { PropertyMap } from "./values";

export type Severity = "debug" | "info" | "warning" | "error";

export interface HostContext {
  /** A message shown by the engine on the resource's row (host.Log in Go providers). */
  log(severity: Severity, urn: string, message: string): void;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

/** What Pulumi's PropertyDiff.Kind says about one property. */
export type DiffKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

export interface DiffResult {
  changes: boolean;
  replaces?: string[];
  detailedDiff?: Record<string, DiffKind>;
  deleteBeforeReplace?: boolean;
}

export interface ResourceHandler {
  check?(req: { urn: string; olds: PropertyMap; news: PropertyMap }, ctx: HostContext): Promise<{ inputs: PropertyMap; failures?: CheckFailure[] }>;
  diff(req: { urn: string; id: string; oldInputs: PropertyMap; oldOutputs: PropertyMap; news: PropertyMap }, ctx: HostContext): Promise<DiffResult>;
  create(req: { urn: string; inputs: PropertyMap; preview: boolean }, ctx: HostContext): Promise<{ id: string; outputs: PropertyMap }>;
  read?(req: { urn: string; id: string; inputs: PropertyMap; outputs: PropertyMap }, ctx: HostContext): Promise<{ id: string; inputs: PropertyMap; outputs: PropertyMap }>;
  update?(req: { urn: string; id: string; oldInputs: PropertyMap; oldOutputs: PropertyMap; news: PropertyMap; preview: boolean }, ctx: HostContext): Promise<{ outputs: PropertyMap }>;
  delete?(req: { urn: string; id: string; oldInputs: PropertyMap; outputs: PropertyMap }, ctx: HostContext): Promise<void>;
}

export interface StandInProvider {
  /** The package name, e.g. "random" (the plugin is pulumi-resource-<name>). */
  name: string;
  /** The version the real plugin reports (GetPluginInfo), i.e. the npm package's pin. */
  version: string;
  /** Whether the engine sends Create/Update during preview (ConfigureResponse.supportsPreview). */
  supportsPreview: boolean;
  /**
   * ConfigureResponse.acceptSecrets, as the real provider answers it. When false the engine sends
   * plain values and marks secret again, by property name, what the program gave as secret
   * (annotateSecrets in pulumi/pulumi pkg/resource/plugin/provider_plugin.go).
   */
  acceptSecrets: boolean;
  /** Receives the provider's configuration (ConfigureRequest.args, namespace removed). */
  configure?(config: PropertyMap): Promise<void> | void;
  resources: Record<string, ResourceHandler>;
  /** Invokes (data sources), by function token. */
  functions?: Record<string, (args: PropertyMap, ctx: HostContext & { preview: boolean }) => Promise<PropertyMap>>;
}
