/**
 * What the policies know about the resources of `pulumi-sms-channels`: type tokens and input formats only.
 * The pack never imports the resources themselves, never calls Twilio and never reads the credential store.
 */

export const TYPE_PREFIX = "pulumi-nodejs:dynamic/smschannels:";

export const TYPES = {
  SmsApiCredential: `${TYPE_PREFIX}SmsApiCredential`,
  CustomRcsCredential: `${TYPE_PREFIX}CustomRcsCredential`,
  SmsWebhook: `${TYPE_PREFIX}SmsWebhook`,
  ChannelConfiguration: `${TYPE_PREFIX}ChannelConfiguration`,
} as const;

export type CredentialType = "twilio-sms" | "custom-rcs";

/** The credential type a resource type token stands for, if it is a credential. */
export function credentialTypeOfResourceType(type: string): CredentialType | undefined {
  if (type === TYPES.SmsApiCredential) return "twilio-sms";
  if (type === TYPES.CustomRcsCredential) return "custom-rcs";
  return undefined;
}

/** `pulumi-nodejs:dynamic/smschannels:SmsWebhook` → `SmsWebhook`. */
export function shortType(type: string): string {
  return type.startsWith(TYPE_PREFIX) ? type.slice(TYPE_PREFIX.length) : type;
}

export const DEFAULT_SANDBOX = "prod";

/** ChannelConfiguration `name`. */
export const CHANNEL_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/** A name that matches `CHANNEL_NAME`, made from one that does not; undefined if nothing sensible is left. */
export function suggestChannelName(name: string): string | undefined {
  let s = name
    .trim()
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/-+$/, "");
  s = s.replace(/^[^A-Za-z]+/, "");
  return s !== "" && CHANNEL_NAME.test(s) ? s : undefined;
}

/** ChannelConfiguration `subdomain`: one DNS label of lowercase letters, digits and hyphens. */
export const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const RESERVED_SUBDOMAINS: readonly string[] = ["cdn", "data"];

/** E.164: `+`, a country code that does not start with 0, up to 15 digits in all. */
export const E164 = /^\+[1-9]\d{1,14}$/;
export const SHORT_CODE = /^\d{5,6}$/;
/** Alphanumeric sender ID: 1-11 letters, digits or spaces, at least one letter (Twilio's rule). */
export const ALPHANUMERIC_SENDER_ID = /^(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

export type SenderKind = "e164" | "short-code" | "alphanumeric";

export function senderKind(value: string): SenderKind | undefined {
  if (E164.test(value)) return "e164";
  if (SHORT_CODE.test(value)) return "short-code";
  if (ALPHANUMERIC_SENDER_ID.test(value) && value.trim() === value) return "alphanumeric";
  return undefined;
}

/**
 * A valid sender close to an invalid one, when the fix is mechanical: a phone number written with spaces,
 * dashes, dots or parentheses, a `00` international prefix, or surrounding spaces.
 */
export function suggestSender(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed !== value && senderKind(trimmed)) return trimmed;
  if (/^[+0-9 ().-]+$/.test(trimmed) && /\d/.test(trimmed)) {
    let digits = trimmed.replace(/[ ().-]/g, "");
    if (digits.startsWith("00")) digits = `+${digits.slice(2)}`;
    if (E164.test(digits)) return digits;
    if (/^[1-9]\d{6,14}$/.test(digits)) return `+${digits}`;
  }
  return undefined;
}

/** Opt-out keywords of an SmsWebhook whose `keywords` or `keywords.optOut` is omitted. */
export const DEFAULT_OPT_OUT_KEYWORDS: readonly string[] = [
  "Stop",
  "Quit",
  "Cancel",
  "End",
  "Unsubscribe",
  "No",
];
export const DEFAULT_REQUIRED_OPT_OUT_KEYWORDS: readonly string[] = ["STOP"];

/** Hosts a CustomRcsCredential may reach over plain http: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost") return true;
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4.slice(1).every((o) => Number(o) <= 255) && v4[1] === "127";
}

/** A URL for messages: scheme, host and path, never a user name, password, query or fragment. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
