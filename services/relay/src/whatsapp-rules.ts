// What Twilio accepts for a WhatsApp message, as its documentation states it. Sources:
// - Body limit: Messages API "Body … up to 1,600 characters"; error 21617 ("The concatenated message
//   body exceeds the 1600 character limit … emojis, emoticons or non-GSM characters will be counted
//   as multiple characters if they have a higher byte count"), https://www.twilio.com/docs/api/errors/21617
// - Media: https://www.twilio.com/docs/whatsapp/guidance-whatsapp-media-messages ("Images: JPG, JPEG,
//   PNG, WEBP … The size limit for images is only 5 MB"); image/gif is MMS/RCS only in
//   https://www.twilio.com/docs/messaging/guides/accepted-mime-types. One attachment per WhatsApp message.

export const bodyLimit = 1600;

/** GSM 03.38 extension table characters: two septets each in GSM-7 (an escape, then the character). */
const gsmExtension = new Set("^{}\\[~]|€\f");

/**
 * How much of Twilio's 1600 a character uses. Twilio does not publish the exact rule, only that
 * "higher byte count" characters count as several; this takes the strictest reading the text
 * allows: a character's UTF-8 byte length, and 2 for GSM-7 extension characters. Under any
 * narrower reading (UTF-16 units, code points, GSM septets) a part within this weight fits too.
 */
export function charWeight(codePoint: number, char: string): number {
  if (gsmExtension.has(char)) return 2;
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

export function bodyWeight(text: string): number {
  let weight = 0;
  for (const char of text) weight += charWeight(char.codePointAt(0) ?? 0, char);
  return weight;
}

/** Image types WhatsApp shows as images through Twilio, and their size limit. */
export const whatsAppImageTypes = new Set(["image/jpeg", "image/png", "image/webp"]);
export const whatsAppImageMaxBytes = 5 * 1024 * 1024;

/** Why an image must go as a link instead of a media message, or undefined when it can be sent. */
export function imageRefusal(contentType: string, bytes: number): string | undefined {
  if (!whatsAppImageTypes.has(contentType)) return `WhatsApp does not take ${contentType} images`;
  if (bytes > whatsAppImageMaxBytes) return `it is ${(bytes / 1024 / 1024).toFixed(1)} MB, over WhatsApp's 5 MB for images`;
  return undefined;
}
