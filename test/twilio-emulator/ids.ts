import { randomBytes } from "node:crypto";

/** Twilio resource SIDs: a two-letter prefix and 32 lowercase hex digits. */
export type SidPrefix = "AC" | "SK" | "PN" | "MG" | "SM" | "XE" | "RQ";

export function newSid(prefix: SidPrefix): string {
  return `${prefix}${randomBytes(16).toString("hex")}`;
}

/** A random 32-hex-digit secret (auth token, API key secret), generated at run time, never fixed. */
export function newSecret(): string {
  return randomBytes(16).toString("hex");
}

export function isSid(prefix: SidPrefix, value: string): boolean {
  return new RegExp(`^${prefix}[0-9a-fA-F]{32}$`).test(value);
}
