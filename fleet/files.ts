// Reading and editing the fleet file and the secrets file. Each problem names the file, the user
// (by id) and the key, says what is wrong and how to fix it; all problems are reported at once.
// Edits (`fleet add`, `fleet remove`, `fleet rollout --image`) go through the YAML document, so the
// operator's comments and layout survive them.
import { readFile, writeFile } from "node:fs/promises";
import { parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { fleetSchema, secretsFileSchema, type FleetFile, type FleetUser, type SecretsFile } from "./schema";

export class FleetFileError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file} has ${problems.length === 1 ? "1 problem" : `${problems.length} problems`}; nothing was changed:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "FleetFileError";
  }
}

const FIXES: Record<string, string> = {
  fleet: "set `fleet:` to a short lower-case name, e.g. acme",
  id: "use lower-case letters, digits and '-', e.g. alice",
  allowedNumbers: "list the user's WhatsApp numbers, e.g. allowedNumbers: [\"+15551234567\"]",
  region: "use a Fly region code such as ord, ams or fra",
  tier: "use tier: webhook (suspended when idle) or tier: always-on",
  volumeSizeGb: "a whole number of GB between 1 and 500; a volume can only grow",
  relayImage: "name a published relay image, e.g. ghcr.io/<you>/textslash-relay:1.0.0",
  vmImage: "name a published VM image, e.g. ghcr.io/<you>/textslash-vm:1.0.0",
  twilioAccountSid: "copy the Account SID (AC + 32 hex digits) from the Twilio console",
  twilioWhatsappNumber: "the WhatsApp sender in E.164 form, e.g. \"+14155238886\" (quote it in YAML)",
};

/** "users[1] (bob).region: <message>; fix: <hint>" from a zod issue and the raw document. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issue.path.map(String);
  let where = path.join(".");
  if (path[0] === "users" && path[1] !== undefined && /^\d+$/.test(path[1])) {
    const entry = (raw as { users?: { id?: unknown }[] } | undefined)?.users?.[Number(path[1])];
    const id = typeof entry?.id === "string" ? ` (${entry.id})` : "";
    where = `users[${path[1]}]${id}${path.length > 2 ? `.${path.slice(2).join(".")}` : ""}`;
  }
  const key = path.filter((p) => !/^\d+$/.test(p)).pop() ?? "";
  let message = issue.message;
  if (issue.code === "unrecognized_keys") message = `${issue.keys.map((k) => `"${k}"`).join(", ")} ${issue.keys.length === 1 ? "is not a setting" : "are not settings"} here (remove or rename)`;
  const fix = issue.code === "unrecognized_keys" ? undefined : FIXES[key];
  return `${where || "(top level)"}: ${message}${fix ? `; fix: ${fix}` : ""}`;
}

function parseWith<T extends z.ZodType>(schema: T, file: string, text: string): { value: z.infer<T>; doc: Document } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new FleetFileError(file, doc.errors.map((e) => `not valid YAML or JSON: ${e.message.split("\n")[0]}`));
  const raw: unknown = doc.toJS();
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw new FleetFileError(file, parsed.error.issues.map((i) => describeIssue(i, raw)));
  return { value: parsed.data as z.infer<T>, doc };
}

export function parseFleet(file: string, text: string): FleetFile {
  return parseWith(fleetSchema, file, text).value;
}

export async function readFleet(file: string): Promise<FleetFile> {
  return parseFleet(file, await readText(file, "the fleet file (see docs/fleet.md for its shape)"));
}

export async function readSecrets(file: string | undefined): Promise<SecretsFile> {
  if (file === undefined) return secretsFileSchema.parse({});
  const { value } = parseWith(secretsFileSchema, file, await readText(file, "the secrets file"));
  return value;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new FleetFileError(file, [`cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
}

/** Applies `edit` to the file's YAML document, checks the result against the schema, and writes it. */
async function editFleet(file: string, edit: (doc: Document, fleet: FleetFile) => void): Promise<FleetFile> {
  const { value, doc } = parseWith(fleetSchema, file, await readText(file, "the fleet file"));
  edit(doc, value);
  const text = doc.toString();
  const next = parseFleet(file, text);
  await writeFile(file, text);
  return next;
}

export function addUser(file: string, user: Partial<FleetUser> & Pick<FleetUser, "id" | "allowedNumbers">): Promise<FleetFile> {
  return editFleet(file, (doc, fleet) => {
    if (fleet.users.some((u) => u.id === user.id)) throw new FleetFileError(file, [`users: "${user.id}" is already declared; edit its entry instead`]);
    if (!doc.has("users")) doc.set("users", doc.createNode([]));
    const entry = Object.fromEntries(Object.entries(user).filter(([, v]) => v !== undefined && v !== false));
    doc.addIn(["users"], doc.createNode(entry));
  });
}

export function removeUser(file: string, id: string): Promise<FleetFile> {
  return editFleet(file, (doc, fleet) => {
    const index = fleet.users.findIndex((u) => u.id === id);
    if (index >= 0) doc.deleteIn(["users", index]);
  });
}

export function setSharedImages(file: string, images: { relayImage?: string; vmImage?: string }): Promise<FleetFile> {
  return editFleet(file, (doc) => {
    if (images.relayImage !== undefined) doc.setIn(["shared", "relayImage"], images.relayImage);
    if (images.vmImage !== undefined) doc.setIn(["shared", "vmImage"], images.vmImage);
  });
}
