import { z } from "zod";

// What the runtime needs to know about a machine, validated at the edge so a malformed machine
// config from the Fly API fails with a message naming the field instead of a crash in spawn().
export const machineSpecSchema = z.object({
  id: z.string().min(1),
  appName: z.string().min(1),
  image: z.string().min(1),
  env: z.record(z.string(), z.string()).default({}),
  /** The app's secrets at the version the machine was started/updated with. */
  secrets: z.record(z.string(), z.string()).default({}),
  mounts: z.array(z.object({ volumeId: z.string().min(1), path: z.string().startsWith("/") })).default([]),
  /** HTTP checks; the path is probed on the process's own port. */
  checks: z.array(z.object({ name: z.string().min(1), path: z.string().startsWith("/") })).default([]),
});
export type MachineSpec = z.infer<typeof machineSpecSchema>;
export type MachineSpecInput = z.input<typeof machineSpecSchema>;

export function parseMachineSpec(input: unknown): MachineSpec {
  const parsed = machineSpecSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`sandbox runtime: invalid machine spec (${problems.join("; ")}); check the machine config sent to the local Fly API`);
  }
  return parsed.data;
}

export type CheckStatus = "passing" | "warning" | "critical";
export interface CheckResult { name: string; status: CheckStatus; output: string; updatedAt: string }
