/** Value formats the Twilio APIs answer with. */

/** RFC 2822 date as the 2010 API writes it: `Thu, 30 Jul 2015 20:12:31 +0000`. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "+0000");
}

/** ISO 8601 without milliseconds, as the Messaging API writes it: `2015-07-30T20:12:31Z`. */
export function iso8601(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(value: string): boolean {
  return E164.test(value);
}

/** A channel address such as `rcs:acme_agent` or `whatsapp:+15551234567`. */
export const CHANNEL_ADDRESS = /^(rcs|whatsapp|messenger):(\S+)$/;

/** Alphanumeric sender ID: 1 to 11 letters, digits or spaces, at least one letter. */
export function isAlphanumericSenderId(value: string): boolean {
  return /^[A-Za-z0-9 ]{1,11}$/.test(value) && /[A-Za-z]/.test(value);
}

const COUNTRY_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ["+1", "US"],
  ["+44", "GB"],
  ["+49", "DE"],
  ["+33", "FR"],
  ["+34", "ES"],
  ["+39", "IT"],
  ["+31", "NL"],
  ["+61", "AU"],
  ["+55", "BR"],
  ["+52", "MX"],
  ["+91", "IN"],
];

/** ISO country code of an E.164 number, from a short table; `US` otherwise (the account's country). */
export function countryOf(phoneNumber: string): string {
  const hit = COUNTRY_PREFIXES.find(([prefix]) => phoneNumber.startsWith(prefix));
  return hit ? hit[1] : "US";
}

/** The friendly name Twilio gives a number: `(808) 925-5327` for North America, else the number. */
export function friendlyNumber(phoneNumber: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(phoneNumber);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : phoneNumber;
}
