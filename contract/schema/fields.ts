/**
 * The contract's formats as zod field schemas: the provider's input schemas and the store's
 * record-data schemas (./records.ts) are built from these, so both give one verdict and one reason.
 */
import { z } from "zod";
import { DEFAULT_SANDBOX } from "../defaults";
import {
  ACCOUNT_SID,
  API_KEY_SID,
  CHANNEL_NAME,
  CHANNEL_NAME_REASON,
  E164,
  EXECUTION_FIELD,
  MAX_RECORD_NAME,
  MESSAGING_SERVICE_SID,
  RESERVED_SUBDOMAINS,
  SANDBOX,
  SANDBOX_REASON,
  SENDER_FORMAT_REASON,
  SUBDOMAIN,
  senderKind,
  vendorUrlProblem,
} from "../formats";
import { CREDENTIAL_TYPES, VALIDATION_MODES } from "../records";

const str = () => z.string({ error: "must be a string" });

export const sandbox = str().regex(SANDBOX, SANDBOX_REASON);
export const sandboxWithDefault = sandbox.default(DEFAULT_SANDBOX);

export const recordName = str()
  .min(1, "must not be empty")
  .max(MAX_RECORD_NAME, `must be at most ${MAX_RECORD_NAME} characters`);

export const e164 = str().regex(
  E164,
  "must be an E.164 phone number: + and country code, then up to 15 digits, e.g. +14155550100",
);

export const accountSid = str().regex(
  ACCOUNT_SID,
  "must be a Twilio Account SID: AC followed by 32 hex characters",
);
export const apiKeySid = str().regex(
  API_KEY_SID,
  "must be a Twilio API key SID: SK followed by 32 hex characters",
);
export const messagingServiceSid = str().regex(
  MESSAGING_SERVICE_SID,
  "must be a Twilio Messaging Service SID: MG followed by 32 hex characters",
);

export const senderNumber = str().refine((s) => senderKind(s) !== undefined, SENDER_FORMAT_REASON);

export const channelName = str()
  .max(MAX_RECORD_NAME, `must be at most ${MAX_RECORD_NAME} characters`)
  .regex(CHANNEL_NAME, CHANNEL_NAME_REASON);

export const subdomain = str()
  .regex(SUBDOMAIN, "must be lowercase letters, digits and inner hyphens (at most 63)")
  .refine((s) => !RESERVED_SUBDOMAINS.includes(s), "is reserved (cdn and data cannot be used)");

export const executionField = str().regex(
  EXECUTION_FIELD,
  "must be a dotted field path, e.g. mobilePhone.number",
);

export const validationMode = z.enum(VALIDATION_MODES, { error: 'must be "strict", "warn" or "off"' });

export const credentialType = z.enum(CREDENTIAL_TYPES, { error: 'must be "twilio-sms" or "custom-rcs"' });

const VENDOR_URL_REASONS = {
  "not-absolute": "must be an absolute URL, e.g. https://rcs.example.com/v1/messages",
  credentials: "must not carry credentials in the URL; use `auth`",
  "plain-http": "must use https (http is allowed only for loopback hosts such as 127.0.0.1)",
  scheme: "must be an https URL",
} as const;

/** https anywhere; http only on loopback hosts (a local emulator or relay); never user info. */
export const vendorUrl = str().superRefine((s, ctx) => {
  const problem = vendorUrlProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: VENDOR_URL_REASONS[problem] });
});

/** Where a custom vendor's webhook payload keeps a field: a dotted path into its JSON. */
export const payloadPath = str().regex(
  /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*|\[\d+\])*$/,
  "must be a dotted path into the payload, e.g. message.text",
);
