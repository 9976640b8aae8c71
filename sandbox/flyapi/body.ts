// zod parsing of request bodies (after the OpenAPI validator, when present, has checked their shape).
import { z } from "zod";
import { HttpError } from "./errors";

export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
    throw new HttpError(400, `invalid ${what} request body: ${problems.join("; ")}`);
  }
  return parsed.data;
}

export const machineConfigSchema = z.looseObject({
  image: z.string().min(1, "config.image is required"),
  env: z.record(z.string(), z.string()).optional().nullable(),
  mounts: z.array(z.looseObject({ volume: z.string().optional(), path: z.string().optional() })).optional().nullable(),
  checks: z.record(z.string(), z.looseObject({ type: z.string().optional(), path: z.string().optional() })).optional().nullable(),
  guest: z.looseObject({ memory_mb: z.number().optional() }).optional().nullable(),
});

export const machineRequestSchema = z.looseObject({
  name: z.string().optional(),
  region: z.string().optional(),
  config: machineConfigSchema,
  skip_launch: z.boolean().optional(),
  min_secrets_version: z.number().int().optional(),
  lease_ttl: z.number().int().optional(),
  current_version: z.string().optional(),
});
export type MachineRequest = z.infer<typeof machineRequestSchema>;
