// What `npm run status` reads and shows: the stack outputs it needs, the services' /health bodies
// (validated, since they come over the network), and the collected view of one deployment.
import { z } from "zod";

/** `pulumi stack output --json`: only the names status needs (index.ts exports them). */
export const stackOutputsSchema = z.looseObject({
  relayApp: z.string().min(1),
  vmApp: z.string().min(1),
  relayUrl: z.string().url(),
  relayMachineId: z.string().min(1),
  vmMachineId: z.string().min(1),
});
export type StackOutputs = z.infer<typeof stackOutputsSchema>;

/** Disk use of a service's data folder, as the service reports it (statfs of its volume). */
const diskSchema = z.object({ usedBytes: z.number().nonnegative(), totalBytes: z.number().positive() });

/** The relay's GET /health (docs/services.md); fields beyond `ok`/`outbox` are optional for older relays. */
export const relayHealthSchema = z.looseObject({
  ok: z.boolean(),
  outbox: z.number().int().nonnegative(),
  lastMessageAt: z.string().nullable().optional(),
  disk: diskSchema.optional(),
});
export type RelayHealth = z.infer<typeof relayHealthSchema>;

/** The VM's GET /health, read from its Fly check's output (never by calling the VM). */
export const vmHealthSchema = z.looseObject({
  ok: z.boolean(),
  running: z.number().int().nonnegative(),
  queued: z.number().int().nonnegative(),
  disk: diskSchema.optional(),
});
export type VmHealth = z.infer<typeof vmHealthSchema>;

export interface CheckView {
  name: string;
  status: string;
  output: string;
  updatedAt?: string;
}

export interface MachineView {
  id: string;
  state: string;
  region: string;
  image: string;
  /** The digest Fly resolved the image to, when it says. */
  digest?: string;
  updatedAt?: string;
  /** When Fly last started it (its newest `start` event). */
  lastStartedAt?: string;
  checks: CheckView[];
}

export interface VolumeView {
  id: string;
  name: string;
  sizeGb: number;
  /** Where the usage came from: Fly's volume API, the service's /health, or nowhere (with why). */
  usage: { usedBytes: number; totalBytes: number; source: "fly" | "service" } | { unknown: string };
  snapshotRetentionDays?: number;
}

export interface AppView {
  role: "relay" | "vm";
  app: string;
  /** Undefined when the stack's machine is gone from Fly (run `pulumi refresh` then `up`). */
  machine?: MachineView;
  volume?: VolumeView;
  logsCommand: string;
}

export interface DeploymentStatus {
  relay: AppView & { health: RelayHealth | { unreachable: string } };
  vm: AppView & { queue: { running: number; queued: number } | { asleep: string } | { unknown: string } };
  /** From the relay's /health: when it last accepted a message from WhatsApp (null: never; absent: not reported). */
  lastMessageAt?: string | null;
  /** Things a user should look at; empty when all is well. */
  problems: string[];
}
