// What real Twilio refuses when the fake Twilio is asked to send a WhatsApp message, each rule with
// the page it comes from. Written apart from the relay's own rules (services/relay/src/whatsapp-rules.ts)
// on purpose: a fake that imported the relay's code could never catch the relay getting them wrong.

/** Twilio's error body (every REST error has these four fields; twilio-node reads code, message, more_info). */
export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/**
 * Body length as Twilio's error 21617 describes it: "generally 1600 characters, but some special
 * characters such as emojis, emoticons or non-GSM characters will be counted as multiple characters
 * if they have a higher byte count" (https://www.twilio.com/docs/api/errors/21617). The exact rule is
 * not published; the fake counts each character's UTF-8 bytes (so an emoji is 4, "é" 2, "中" 3) and
 * GSM-7 extension characters ({ } [ ] ~ | ^ \ €) as 2: the strictest reading of that sentence, so a
 * body this fake takes is one Twilio takes under any of its readings. Known difference: real Twilio
 * may take a body this fake refuses.
 */
export function twilioBodyLength(body: string): number {
  let length = 0;
  for (const char of body) {
    if ("^{}\\[~]|€\f".includes(char)) length += 2;
    else length += Buffer.byteLength(char, "utf8");
  }
  return length;
}

export const maxBodyLength = 1600;

/**
 * WhatsApp media through Twilio (https://www.twilio.com/docs/whatsapp/guidance-whatsapp-media-messages):
 * images JPG/JPEG/PNG/WEBP up to 5 MB; audio, video and documents up to 16 MB. image/gif is listed
 * for MMS and RCS only (https://www.twilio.com/docs/messaging/guides/accepted-mime-types). Twilio
 * fetches the MediaUrl and checks its Content-Type when it sends, after the API answered 201, so a
 * refusal arrives as a failed message: status "failed" with an ErrorCode, in the resource and in the
 * StatusCallback.
 */
const whatsAppTypes: Record<string, number> = {
  "image/jpeg": 5, "image/jpg": 5, "image/png": 5, "image/webp": 5,
  "audio/ogg": 16, "audio/amr": 16, "audio/3gpp": 16, "audio/aac": 16, "audio/mpeg": 16,
  "video/mp4": 16, "application/pdf": 16,
};

export interface MediaVerdict {
  /** Twilio's error code when the message fails because of this media; undefined = fine. */
  errorCode?: number;
  errorMessage?: string;
}

export function judgeWhatsAppMedia(fetch: { status: number; contentType: string; bytes: number }): MediaVerdict {
  // 63019 "Media failed to download": https://www.twilio.com/docs/api/errors/63019
  if (fetch.status !== 200 || fetch.bytes === 0) return { errorCode: 63019, errorMessage: "Media failed to download" };
  const type = fetch.contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  const limitMb = whatsAppTypes[type];
  // 63021 "Channel invalid content error … not supported by the messaging channel": https://www.twilio.com/docs/api/errors/63021
  if (limitMb === undefined) return { errorCode: 63021, errorMessage: `Channel invalid content error: ${type || "no content type"} is not supported by WhatsApp` };
  // 63034 "Media exceeds size limit … re-attempt with media of size 5 MB or less": https://www.twilio.com/docs/api/errors/63034
  if (fetch.bytes > limitMb * 1024 * 1024) return { errorCode: 63034, errorMessage: "Media exceeds size limit" };
  return {};
}
