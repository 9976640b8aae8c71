// The small programs relay-deps.ts runs in fresh node processes to time each side of the twilio
// question: the same job done with twilio-node and without it. Each prints one JSON line
// {ms, rssMb, ...}; the clock starts after the process is up, so node's own start-up is not counted.
// Sources are strings (CommonJS, run with `node -e`) so they load nothing this script has loaded.

const report = `
const rssMb = () => Number(/VmRSS:\\s+(\\d+)/.exec(require("fs").readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;
`;

const fakeAccount = { sid: `AC${"0".repeat(32)}`, token: "fake-twilio-auth-token" };
const signedUrl = "https://bench-relay.example/webhook";
const params = { AccountSid: fakeAccount.sid, Body: "hello", From: "whatsapp:+15550001000", MessageSid: `SM${"1".repeat(32)}`, NumMedia: "0", To: "whatsapp:+14155238886" };

/**
 * What the relay does at start and per webhook: check one X-Twilio-Signature, build one TwiML
 * <Message>. Twilio side: the two modules the relay imports. Plain side: Twilio's algorithm
 * (HMAC-SHA1 of the URL followed by each parameter name and value, sorted by name; base64) with
 * node:crypto and a string template, which is what the relay would own without the library. Both
 * print the signature they computed, so the caller can check the two sides agree.
 */
export function startProbe(side: "twilio" | "plain"): string {
  const body =
    side === "twilio"
      ? `const { getExpectedTwilioSignature, validateRequest } = require("twilio/lib/webhooks/webhooks");
         const MessagingResponse = require("twilio/lib/twiml/MessagingResponse");
         const sig = getExpectedTwilioSignature(token, url, params);
         const ok = validateRequest(token, sig, url, params);
         const r = new MessagingResponse(); r.message("too busy, resend"); const xml = r.toString();`
      : `const crypto = require("crypto");
         const sign = (t, u, p) => crypto.createHmac("sha1", t).update(Object.keys(p).sort().reduce((a, k) => a + k + p[k], u)).digest("base64");
         const sig = sign(token, url, params);
         const want = Buffer.from(sign(token, url, params)); const got = Buffer.from(sig);
         const ok = want.length === got.length && crypto.timingSafeEqual(want, got);
         const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
         const xml = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>' + esc("too busy, resend") + "</Message></Response>";`;
  return `${report}
const token = ${JSON.stringify(fakeAccount.token)}, url = ${JSON.stringify(signedUrl)}, params = ${JSON.stringify(params)};
const t = process.hrtime.bigint();
${body}
if (!ok || !xml.includes("<Message>")) throw new Error("probe did not work");
console.log(JSON.stringify({ ms: since(t), rssMb: rssMb(), signature: sig }));`;
}

/**
 * What the relay does per answer: send one WhatsApp message (a form POST with basic auth to
 * /2010-04-01/Accounts/{sid}/Messages.json) to a local stand-in of api.twilio.com answering 201.
 * `ms` is the first send, loading included (the relay loads its client on first use); `perSendMs`
 * the mean of the `sends` after it, one at a time.
 */
export function sendProbe(side: "twilio" | "plain", sends: number): string {
  const setup =
    side === "twilio"
      ? `const RequestClient = require("twilio/lib/base/RequestClient");
         const Twilio = require("twilio/lib/rest/Twilio");
         class Local extends RequestClient { request(o) { const u = new URL(o.uri); return super.request({ ...o, uri: base + u.pathname + u.search }); } }
         const client = new Twilio(sid, token, { httpClient: new Local({ autoRetry: true, maxRetries: 6 }) });
         const send = async (n) => (await client.messages.create({ from, to, body: "answer " + n })).sid;`
      : `const auth = "Basic " + Buffer.from(sid + ":" + token).toString("base64");
         const send = async (n) => {
           const r = await fetch(base + "/2010-04-01/Accounts/" + sid + "/Messages.json", { method: "POST", headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ From: from, To: to, Body: "answer " + n }) });
           const j = await r.json(); if (r.status !== 201) throw new Error("Twilio answered " + r.status); return j.sid;
         };`;
  return `${report}
const http = require("http");
const sid = ${JSON.stringify(fakeAccount.sid)}, token = ${JSON.stringify(fakeAccount.token)}, from = "whatsapp:+14155238886", to = "whatsapp:+15550001000";
const server = http.createServer((req, res) => { req.resume(); req.on("end", () => res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ sid: "SM" + "2".repeat(32), account_sid: sid, status: "queued" }))); });
server.listen(0, "127.0.0.1", async () => {
  const base = "http://127.0.0.1:" + server.address().port;
  const t = process.hrtime.bigint();
  ${setup}
  if (!(await send(0)).startsWith("SM")) throw new Error("probe did not work");
  const ms = since(t);
  const t2 = process.hrtime.bigint();
  for (let n = 1; n <= ${sends}; n++) await send(n);
  console.log(JSON.stringify({ ms, perSendMs: since(t2) / ${sends}, rssMb: rssMb() }));
  server.close();
});`;
}
