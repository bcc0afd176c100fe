/**
 * The contract's input formats, once. The provider's zod schemas, the store's checks and the policy
 * pack (through a generated copy, scripts/gen-pack-contract.js) all test values against these.
 * This file imports nothing, so the pack can carry it without zod, Twilio or the store.
 */

export const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
export const API_KEY_SID = /^SK[0-9a-fA-F]{32}$/;
export const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;

/** E.164: `+`, a country code that does not start with 0, up to 15 digits in all. */
export const E164 = /^\+[1-9]\d{1,14}$/;
/** Short codes: 5 or 6 digits. */
export const SHORT_CODE = /^\d{5,6}$/;
/**
 * Alphanumeric sender IDs: 1-11 letters, digits or spaces with at least one letter, and no space at
 * either end (a carrier trims it, so `" ACME"` would not be the sender the user wrote).
 */
export const ALPHANUMERIC_SENDER = /^(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9 ]{0,9}[A-Za-z0-9])?$/;

export type SenderKind = "e164" | "short-code" | "alphanumeric";

export function senderKind(value: string): SenderKind | undefined {
  if (E164.test(value)) return "e164";
  if (SHORT_CODE.test(value)) return "short-code";
  if (ALPHANUMERIC_SENDER.test(value)) return "alphanumeric";
  return undefined;
}

export const SENDER_FORMAT_REASON =
  "must be an E.164 number (+14155550100), a short code (5-6 digits) or an alphanumeric sender ID (1-11 letters, digits or spaces, with at least one letter and no space at either end)";

/** Sandboxes: 1-63 lowercase letters, digits or hyphens, starting with a letter or digit. */
export const SANDBOX = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const SANDBOX_REASON =
  "must be 1-63 lowercase letters, digits or hyphens, starting with a letter or digit";

/** Record names (any kind): 1-200 characters. */
export const MAX_RECORD_NAME = 200;

/** ChannelConfiguration `name`. */
export const CHANNEL_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
export const CHANNEL_NAME_REASON = "must start with a letter and hold only letters, digits, '_', '.' and '-'";

/** ChannelConfiguration `subdomain`: one DNS label of lowercase letters, digits and inner hyphens. */
export const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const RESERVED_SUBDOMAINS: readonly string[] = ["cdn", "data"];

export function subdomainProblem(value: string): "reserved" | "format" | undefined {
  if (RESERVED_SUBDOMAINS.includes(value.toLowerCase())) return "reserved";
  return SUBDOMAIN.test(value) ? undefined : "format";
}

/** ChannelConfiguration `executionField`: a dotted field path. */
export const EXECUTION_FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** A keyword a subscriber texts: one word of letters or digits, at most 30 characters. */
export const KEYWORD = /^[\p{L}\p{N}][\p{L}\p{N}_-]{0,29}$/u;

/**
 * Loopback hosts (127.0.0.0/8, ::1, localhost): the only ones a vendor URL may reach over plain
 * http (local emulators and relays). Takes `URL.hostname`, brackets and all.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost") return true;
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4.slice(1).every((o) => Number(o) <= 255) && v4[1] === "127";
}

/** Why a vendor URL (providerUrl, OAuth2 tokenUrl) is refused, or undefined when it is fine. */
export type VendorUrlProblem = "not-absolute" | "credentials" | "plain-http" | "scheme";

export function vendorUrlProblem(value: string): VendorUrlProblem | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "not-absolute";
  }
  if (url.username !== "" || url.password !== "") return "credentials";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:") return isLoopbackHost(url.hostname) ? undefined : "plain-http";
  return "scheme";
}
