// zod schemas of Fly's snake_case JSON, for the fields the client uses. Loose: Fly adds fields freely.
import { z } from "zod";

const str = z.string();
const strMap = z.record(z.string(), z.string());

export const wirePortSchema = z.looseObject({
  port: z.number().int().optional(),
  start_port: z.number().int().optional(),
  end_port: z.number().int().optional(),
  handlers: z.array(str).optional(),
  force_https: z.boolean().optional(),
});

export const wireServiceSchema = z.looseObject({
  protocol: str.optional(),
  internal_port: z.number().int().optional(),
  ports: z.array(wirePortSchema).optional().nullable(),
  // Fly answers false/true for "off"/"stop" (older clients), "suspend" as a string.
  autostop: z.union([z.enum(["off", "stop", "suspend"]), z.boolean()]).optional().nullable(),
  autostart: z.boolean().optional().nullable(),
  min_machines_running: z.number().int().optional().nullable(),
  concurrency: z
    .looseObject({ type: str.optional(), soft_limit: z.number().optional(), hard_limit: z.number().optional() })
    .optional()
    .nullable(),
});

export const wireCheckSchema = z.looseObject({
  type: str.optional(),
  port: z.number().int().optional(),
  path: str.optional(),
  method: str.optional(),
  protocol: str.optional(),
  interval: str.optional(),
  timeout: str.optional(),
  grace_period: str.optional(),
  headers: z.array(z.looseObject({ name: str, values: z.array(str) })).optional(),
});

export const wireConfigSchema = z.looseObject({
  image: str.optional(),
  env: strMap.optional().nullable(),
  guest: z
    .looseObject({ cpu_kind: str.optional(), cpus: z.number().optional(), memory_mb: z.number().optional() })
    .optional()
    .nullable(),
  services: z.array(wireServiceSchema).optional().nullable(),
  checks: z.record(str, wireCheckSchema).optional().nullable(),
  mounts: z
    .array(z.looseObject({ volume: str.optional(), path: str.optional(), name: str.optional(), size_gb: z.number().optional(), encrypted: z.boolean().optional() }))
    .optional()
    .nullable(),
  restart: z.looseObject({ policy: str.optional(), max_retries: z.number().optional() }).optional().nullable(),
  metadata: strMap.optional().nullable(),
  stop_config: z.looseObject({ signal: str.optional(), timeout: str.optional() }).optional().nullable(),
  init: z
    .looseObject({ cmd: z.array(str).optional().nullable(), entrypoint: z.array(str).optional().nullable(), exec: z.array(str).optional().nullable() })
    .optional()
    .nullable(),
  files: z
    .array(z.looseObject({ guest_path: str, raw_value: str.optional(), secret_name: str.optional(), mode: z.number().optional() }))
    .optional()
    .nullable(),
  auto_destroy: z.boolean().optional().nullable(),
});
export type WireConfig = z.infer<typeof wireConfigSchema>;

export const wireMachineSchema = z.looseObject({
  id: str,
  name: str.optional(),
  state: str,
  region: str.optional(),
  instance_id: str.optional(),
  private_ip: str.optional(),
  config: wireConfigSchema.optional(),
  checks: z
    .array(z.looseObject({ name: str, status: str, output: str.optional(), updated_at: str.optional() }))
    .optional()
    .nullable(),
  created_at: str.optional(),
  updated_at: str.optional(),
  image_ref: z
    .looseObject({ registry: str.optional(), repository: str.optional(), tag: str.optional(), digest: str.optional() })
    .optional()
    .nullable(),
  nonce: str.optional(),
  // Fly's newest events first; an `exit` event carries request.exit_event (exit_code, requested_stop, restarting).
  events: z
    .array(
      z.looseObject({
        id: str.optional(),
        type: str,
        status: str.optional(),
        timestamp: z.number().optional(),
        request: z
          .looseObject({
            exit_event: z
              .looseObject({ exit_code: z.number().optional().nullable(), requested_stop: z.boolean().optional(), restarting: z.boolean().optional() })
              .optional()
              .nullable(),
          })
          .optional()
          .nullable(),
      }),
    )
    .optional()
    .nullable(),
});
export type WireMachine = z.infer<typeof wireMachineSchema>;

export const wireAppSchema = z.looseObject({
  id: str.optional(),
  name: str,
  status: str.optional(),
  network: str.optional(),
  organization: z.looseObject({ slug: str.optional(), name: str.optional() }).optional().nullable(),
  machine_count: z.number().optional(),
  volume_count: z.number().optional(),
});
export type WireApp = z.infer<typeof wireAppSchema>;

export const wireLeaseSchema = z.looseObject({
  nonce: str,
  expires_at: z.number(),
  owner: str.optional(),
  description: str.optional(),
  version: str.optional(),
});
/** Fly wraps lease answers as `{"status": "success", "data": {...}}`; the document shows them bare. Accept both. */
export const wireLeaseResponseSchema = z.union([
  z.looseObject({ data: wireLeaseSchema }).transform((wrapped) => wrapped.data),
  wireLeaseSchema,
]);
export type WireLease = z.infer<typeof wireLeaseSchema>;

export const wireWaitSchema = z.looseObject({
  ok: z.boolean().optional(),
  state: str.optional(),
  version: str.optional(),
  event_id: str.optional(),
});

export const wireVolumeSchema = z.looseObject({
  id: str,
  name: str,
  region: str,
  size_gb: z.number(),
  state: str.optional(),
  attached_machine_id: str.optional().nullable(),
  encrypted: z.boolean().optional(),
  zone: str.optional(),
  snapshot_retention: z.number().optional(),
  auto_backup_enabled: z.boolean().optional(),
  created_at: str.optional(),
  bytes_used: z.number().optional(),
  bytes_total: z.number().optional(),
});
export type WireVolume = z.infer<typeof wireVolumeSchema>;

export const wireExtendSchema = z.looseObject({ volume: wireVolumeSchema, needs_restart: z.boolean().optional() });

export const wireSnapshotSchema = z.looseObject({
  id: str,
  status: str.optional(),
  size: z.number().optional(),
  volume_size: z.number().optional(),
  digest: str.optional(),
  retention_days: z.number().optional(),
  created_at: str.optional(),
});
export type WireSnapshot = z.infer<typeof wireSnapshotSchema>;

export const wireSecretSchema = z.looseObject({
  name: str,
  digest: str.optional(),
  created_at: str.optional(),
  updated_at: str.optional(),
});
export type WireSecret = z.infer<typeof wireSecretSchema>;

export const wireSecretsListSchema = z.looseObject({ secrets: z.array(wireSecretSchema).nullable().optional() });

// `Version` (capitalised) is the deprecated spelling still present in the document.
export const wireSecretsUpdateSchema = z
  .looseObject({
    version: z.number().int().optional(),
    Version: z.number().int().optional(),
    secrets: z.array(wireSecretSchema).nullable().optional(),
  })
  .refine((r) => r.version !== undefined || r.Version !== undefined, { message: "no secrets version in answer" });

export const wireIpSchema = z.looseObject({
  ip: str,
  type: str.optional(),
  region: str.optional(),
  service_name: str.optional(),
  shared: z.boolean().optional(),
  created_at: str.optional(),
});
export type WireIp = z.infer<typeof wireIpSchema>;

export const wireIpListSchema = z.looseObject({ ips: z.array(wireIpSchema).nullable().optional() });

/** For calls whose answer the client does not read (start, stop, delete...). */
export const ignoredBodySchema = z.unknown();
