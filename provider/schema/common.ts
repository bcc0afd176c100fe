import { z } from "zod";

/** The contract's formats, in one place: the handlers and the docs quote these. */
export const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
export const API_KEY_SID = /^SK[0-9a-fA-F]{32}$/;
export const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
export const E164 = /^\+[1-9]\d{1,14}$/;
export const SANDBOX = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const VALIDATION_MODES = ["strict", "warn", "off"] as const;
export type ValidationMode = (typeof VALIDATION_MODES)[number];

export const sandbox = z
  .string({ error: "must be a string" })
  .regex(SANDBOX, "must be 1-63 lowercase letters, digits or hyphens, starting with a letter or digit");

export const recordName = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters");

export const e164 = z
  .string({ error: "must be a string" })
  .regex(E164, "must be an E.164 phone number: + and country code, then up to 15 digits, e.g. +14155550100");

export const messagingServiceSid = z
  .string({ error: "must be a string" })
  .regex(MESSAGING_SERVICE_SID, "must be a Twilio Messaging Service SID: MG followed by 32 hex characters");

export const validationMode = z.enum(VALIDATION_MODES, { error: 'must be "strict", "warn" or "off"' });

export const secretString = z.string({ error: "must be a string" }).min(1, "must not be empty");

export const verifyConnection = z
  .object({
    to: e164,
    message: z
      .string({ error: "must be a string" })
      .min(1, "must not be empty")
      .max(1600, "must be at most 1600 characters"),
  })
  .strict();

/** Inputs every resource has: where the record lives and who wrote it. */
export const commonInputs = {
  sandbox: sandbox.default("prod"),
  name: recordName,
  /** Set by the resource class, so a create retried after a crash can adopt its own record. */
  ownerUrn: z.string().optional(),
};
