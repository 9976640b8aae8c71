// The sandbox's obviously fake credentials and numbers, shared by the daemon, the stack config and
// sandbox:send. The fake Twilio checks the account/token; nothing here is a real credential shape.
/**
 * A well-formed Twilio SID (two letters + 32 hex digits, as config.ts demands) that nothing has: all
 * zeros, built here (fake-twilio-messaging.ts makes random ones at run time) so that no source file holds a string shaped like a real credential.
 */
export const zeroSid = (prefix: "AC" | "MG" | "PN" | "SK" | "XE"): string => `${prefix}${"0".repeat(32)}`;
export const FAKE_ACCOUNT_SID = zeroSid("AC");
export const FAKE_TWILIO = { accountSid: FAKE_ACCOUNT_SID, authToken: "fake-twilio-auth-token" } as const;
export const FAKE_ANTHROPIC_KEY = "fake-anthropic-key";
/** The WhatsApp number the sandbox stack allows, and the one the relay sends from. */
export const SANDBOX_PHONE = "+15550001111";
export const SANDBOX_WHATSAPP_NUMBER = "+15550000000";
