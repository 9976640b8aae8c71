// A fake of the two messaging.twilio.com resources whose incoming-message webhook the stack sets
// (components/twilio/): Messaging Services (v1, form-encoded) and WhatsApp senders (v2 Senders API,
// JSON). Shapes and rules from Twilio's OpenAPI documents (twilio/twilio-oai spec/json/
// twilio_messaging_v1.json and twilio_messaging_v2.json @ d50069b): SID patterns ^MG[0-9a-fA-F]{32}$
// and ^XE[0-9a-fA-F]{32}$, InboundMethod GET|POST, callback_method POST|PUT, update answers 200 (v1)
// and 202 (v2). Strict where Twilio is: HTTP basic auth with the account's SID and auth token (else
// 401, error 20003), an unknown or malformed SID is 404 (20404), each error in Twilio's body
// {code, message, more_info, status}. Kept apart from fake-twilio.ts (the Messages API the relay uses).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listenOn } from "./http-server";

export interface FakeMessagingService {
  sid: string;
  friendlyName: string;
  inboundRequestUrl: string | null;
  inboundMethod: "GET" | "POST";
  fallbackUrl: string | null;
  useInboundWebhookOnNumber: boolean;
  dateCreated: string;
  dateUpdated: string;
}

export interface FakeSenderWebhook {
  callback_url: string | null;
  callback_method: "POST" | "PUT" | null;
  fallback_url: string | null;
  fallback_method: "POST" | "PUT" | null;
  status_callback_url: string | null;
  status_callback_method: "POST" | "PUT" | null;
}

export interface FakeWhatsAppSender {
  sid: string;
  senderId: string;
  status: string;
  webhook: FakeSenderWebhook;
}

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export const twilioErrorBody = (status: number, code: number, message: string): TwilioErrorBody => ({
  code,
  message,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
});

const SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
const SENDER_SID = /^XE[0-9a-fA-F]{32}$/;
const servicePath = /^\/v1\/Services\/([^/]+)$/;
const senderPath = /^\/v2\/Channels\/Senders\/([^/]+)$/;
const origin = "https://messaging.twilio.com";

export const fakeSid = (prefix: "MG" | "XE"): string => `${prefix}${randomBytes(16).toString("hex")}`;

class TwilioError extends Error {
  constructor(readonly body: TwilioErrorBody) {
    super(body.message);
  }
}
const badRequest = (message: string): TwilioError => new TwilioError(twilioErrorBody(400, 20001, message));

function isUri(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

export class FakeTwilioMessaging {
  readonly services = new Map<string, FakeMessagingService>();
  readonly senders = new Map<string, FakeWhatsAppSender>();
  /** Every request, in order, with whether its credentials were right. */
  readonly requests: { method: string; path: string; authorized: boolean; body: string }[] = [];
  private server: Server | undefined;
  url = "";

  constructor(private readonly account: { accountSid: string; authToken: string }) {}

  addService(init: Partial<Omit<FakeMessagingService, "sid">> = {}): FakeMessagingService {
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const service: FakeMessagingService = {
      sid: fakeSid("MG"), friendlyName: "textslash test", inboundRequestUrl: null, inboundMethod: "POST", fallbackUrl: null,
      useInboundWebhookOnNumber: false, dateCreated: now, dateUpdated: now, ...init,
    };
    this.services.set(service.sid, service);
    return service;
  }

  addSender(init: Partial<Omit<FakeWhatsAppSender, "sid">> = {}): FakeWhatsAppSender {
    const sender: FakeWhatsAppSender = {
      sid: fakeSid("XE"), senderId: "whatsapp:+15550000000", status: "ONLINE",
      ...init,
      webhook: { callback_url: null, callback_method: null, fallback_url: null, fallback_method: null, status_callback_url: null, status_callback_method: null, ...init.webhook },
    };
    this.senders.set(sender.sid, sender);
    return sender;
  }

  async start(port = 0, host = "127.0.0.1"): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => json(res, 500, twilioErrorBody(500, 20500, `fake Twilio messaging: ${String(err)}`)));
    });
    this.server = server;
    this.url = await listenOn(server, port, host);
    return this.url;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private authorized(req: IncomingMessage): boolean {
    const expected = `Basic ${Buffer.from(`${this.account.accountSid}:${this.account.authToken}`).toString("base64")}`;
    return req.headers.authorization === expected;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const authorized = this.authorized(req);
    this.requests.push({ method: req.method ?? "", path, authorized, body });
    if (!authorized) return json(res, 401, twilioErrorBody(401, 20003, "Authenticate"));
    try {
      const service = servicePath.exec(path);
      if (service) return this.serviceRoute(req, res, service[1]!, path, body);
      const sender = senderPath.exec(path);
      if (sender) return this.senderRoute(req, res, sender[1]!, path, body);
      throw notFound(path);
    } catch (err) {
      if (err instanceof TwilioError) return json(res, err.body.status, err.body);
      throw err;
    }
  }

  private serviceRoute(req: IncomingMessage, res: ServerResponse, sid: string, path: string, body: string): void {
    const service = SERVICE_SID.test(sid) ? this.services.get(sid) : undefined;
    if (!service) throw notFound(path);
    if (req.method === "POST") {
      if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
        throw badRequest("Messaging Service updates are form-encoded (application/x-www-form-urlencoded)");
      }
      applyServiceUpdate(service, new URLSearchParams(body));
      service.dateUpdated = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    } else if (req.method !== "GET") throw notFound(path);
    json(res, 200, serviceToWire(service, this.account.accountSid));
  }

  private senderRoute(req: IncomingMessage, res: ServerResponse, sid: string, path: string, body: string): void {
    const sender = SENDER_SID.test(sid) ? this.senders.get(sid) : undefined;
    if (!sender) throw notFound(path);
    if (req.method === "GET") return json(res, 200, senderToWire(sender));
    if (req.method !== "POST") throw notFound(path);
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) throw badRequest("Senders API updates are JSON (application/json)");
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw badRequest("the request body is not JSON");
    }
    applySenderUpdate(sender, parsed);
    json(res, 202, senderToWire(sender));
  }
}

function notFound(path: string): TwilioError {
  return new TwilioError(twilioErrorBody(404, 20404, `The requested resource ${path} was not found`));
}

function applyServiceUpdate(service: FakeMessagingService, form: URLSearchParams): void {
  const url = form.get("InboundRequestUrl");
  if (url !== null) {
    // An empty value clears it: "When this property is null, receiving inbound messages is disabled".
    if (url !== "" && !isUri(url)) throw badRequest(`InboundRequestUrl is not a valid URL: ${url}`);
    service.inboundRequestUrl = url === "" ? null : url;
  }
  const method = form.get("InboundMethod");
  if (method !== null) {
    if (method !== "GET" && method !== "POST") throw badRequest(`InboundMethod must be GET or POST (got ${method})`);
    service.inboundMethod = method;
  }
  const onNumber = form.get("UseInboundWebhookOnNumber");
  if (onNumber !== null) {
    if (onNumber !== "true" && onNumber !== "false") throw badRequest(`UseInboundWebhookOnNumber must be true or false (got ${onNumber})`);
    service.useInboundWebhookOnNumber = onNumber === "true";
  }
  const fallback = form.get("FallbackUrl");
  if (fallback !== null) service.fallbackUrl = fallback === "" ? null : fallback;
}

const WEBHOOK_URLS = ["callback_url", "fallback_url", "status_callback_url"] as const;
const WEBHOOK_METHODS = ["callback_method", "fallback_method", "status_callback_method"] as const;

/** Fields of `webhook` given are set (null clears); the others are kept: unverified against Twilio (docs/stand-ins.md). */
function applySenderUpdate(sender: FakeWhatsAppSender, body: unknown): void {
  if (typeof body !== "object" || body === null) throw badRequest("the request body must be a JSON object");
  const webhook = (body as { webhook?: unknown }).webhook;
  if (webhook === undefined || webhook === null) return;
  if (typeof webhook !== "object") throw badRequest("webhook must be an object");
  const w = webhook as Record<string, unknown>;
  for (const key of WEBHOOK_URLS) {
    if (!(key in w)) continue;
    const v = w[key];
    if (v !== null && (typeof v !== "string" || !isUri(v))) throw badRequest(`webhook.${key} is not a valid URL`);
    sender.webhook[key] = v as string | null;
  }
  for (const key of WEBHOOK_METHODS) {
    if (!(key in w)) continue;
    const v = w[key];
    if (v !== null && v !== "POST" && v !== "PUT") throw badRequest(`webhook.${key} must be POST or PUT`);
    sender.webhook[key] = v as "POST" | "PUT" | null;
  }
}

function serviceToWire(s: FakeMessagingService, accountSid: string): Record<string, unknown> {
  const url = `${origin}/v1/Services/${s.sid}`;
  return {
    account_sid: accountSid, sid: s.sid, date_created: s.dateCreated, date_updated: s.dateUpdated, friendly_name: s.friendlyName,
    inbound_request_url: s.inboundRequestUrl, inbound_method: s.inboundMethod, fallback_url: s.fallbackUrl, fallback_method: "POST",
    status_callback: null, sticky_sender: true, mms_converter: true, smart_encoding: false, fallback_to_long_code: true,
    area_code_geomatch: true, validity_period: 14400, scan_message_content: "inherit", synchronous_validation: true,
    usecase: "undeclared", us_app_to_person_registered: false, use_inbound_webhook_on_number: s.useInboundWebhookOnNumber,
    links: { phone_numbers: `${url}/PhoneNumbers`, channel_senders: `${url}/ChannelSenders` }, url,
  };
}

function senderToWire(s: FakeWhatsAppSender): Record<string, unknown> {
  return {
    sid: s.sid, status: s.status, sender_id: s.senderId, configuration: null, webhook: { ...s.webhook }, profile: null,
    properties: null, offline_reasons: null, compliance: null, url: `${origin}/v2/Channels/Senders/${s.sid}`,
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
