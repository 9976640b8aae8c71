// Shared check(): zod validation of a resource's inputs. Failures name the property; a value
// unknown during preview (pulumi/pulumi#6310) is accepted as is and checked again at apply time.
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { UNKNOWN_MARKER } from "./connection";

function hasUnknown(v: unknown): boolean {
  if (v === UNKNOWN_MARKER) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (v !== null && typeof v === "object") return Object.values(v).some(hasUnknown);
  return false;
}

export function checkWith<T>(schema: z.ZodType<T>, news: Record<string, unknown>): pulumi.dynamic.CheckResult<T> {
  if (hasUnknown(news)) return { inputs: news as T };
  const parsed = schema.safeParse(news);
  if (parsed.success) return { inputs: parsed.data };
  return {
    failures: parsed.error.issues.map((issue) => ({
      property: issue.path.join(".") || "(inputs)",
      reason: issue.message,
    })),
  };
}
