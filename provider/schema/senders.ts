import { E164 } from "./common";

/** Short codes: 5 or 6 digits. */
export const SHORT_CODE = /^\d{5,6}$/;
/** Alphanumeric sender IDs: 1-11 letters, digits or spaces, at least one letter. */
export const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

export type SenderKind = "e164" | "short-code" | "alphanumeric";

export function senderKind(s: string): SenderKind | undefined {
  if (E164.test(s)) return "e164";
  if (SHORT_CODE.test(s)) return "short-code";
  if (ALPHANUMERIC_SENDER.test(s)) return "alphanumeric";
  return undefined;
}

export const SENDER_FORMAT_REASON =
  "must be an E.164 number (+14155550100), a short code (5-6 digits) or an alphanumeric sender ID (1-11 letters, digits or spaces, with at least one letter)";
