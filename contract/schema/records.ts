/**
 * The plain `data` of each store record, as zod schemas built from the same field schemas as the
 * provider's inputs: the store validates what it is asked to write with these, so a record written
 * by anyone (provider, service client, a script) holds values the provider would have accepted.
 *
 * Known fields are checked; fields the schema does not name are let through (`z.looseObject`), so a
 * newer provider that writes a new field can still use an older store service. No secret is ever in
 * `data`: secrets go in the record's encrypted payload.
 */
import { z } from "zod";
import type { CredentialType, RecordKind } from "../records";
import { CHANNELS, MESSAGE_TYPES, WEBHOOK_TYPES } from "../records";
import {
  accountSid,
  apiKeySid,
  channelName,
  credentialType,
  e164,
  executionField,
  messagingServiceSid,
  payloadPath,
  recordName,
  senderNumber,
  subdomain,
  vendorUrl,
} from "./fields";
import { keywordConflicts } from "../keywords";
import { keywordsSchema, resolvedKeywordsSchema } from "./keywords";

const text = z.string({ error: "must be a string" });
const id = text.min(1, "must not be empty");

export const twilioSmsCredentialData = z.looseObject({
  accountSid,
  apiKeySid: apiKeySid.optional(),
  messagingServiceSid: messagingServiceSid.optional(),
  inboundNumber: e164.optional(),
  accountFriendlyName: text.optional(),
  accountType: text.optional(),
  validatedAt: text.optional(),
});

export const CUSTOM_AUTH_TYPES = ["basic", "bearer", "apiKey", "oauth2", "none", "mtls"] as const;

export const customRcsCredentialData = z.looseObject({
  providerName: id,
  providerAppId: id.optional(),
  providerUrl: vendorUrl,
  payloadTemplate: text,
  messagingServiceSid: messagingServiceSid.optional(),
  /** What the auth is, never its secret. */
  authType: z.enum(CUSTOM_AUTH_TYPES, { error: `must be one of ${CUSTOM_AUTH_TYPES.join(", ")}` }),
  authUsername: text.optional(),
  authHeaderName: text.optional(),
  authTokenUrl: vendorUrl.optional(),
  headerNames: z.array(text).optional(),
  validatedAt: text.optional(),
});

export const webhookData = z
  .looseObject({
    type: z.enum(WEBHOOK_TYPES, { error: 'must be "inbound" or "feedback"' }),
    apiCredentialId: id,
    apiCredentialType: credentialType.optional(),
    senderNumber: senderNumber.optional(),
    keywords: keywordsSchema.optional(),
    resolvedKeywords: resolvedKeywordsSchema.optional(),
    defaultReply: text.optional(),
    payloadMapping: z.record(z.string(), payloadPath).optional(),
    attachToMessagingService: z.boolean({ error: "must be true or false" }).optional(),
    attachedServiceSid: messagingServiceSid.optional(),
    previousServiceUrl: text.optional(),
    /** How the receiver checks a custom vendor's deliveries; its secrets are in the encrypted payload. */
    verification: z
      .looseObject({
        type: z.enum(["basic", "bearer", "hmac-sha256"], {
          error: 'must be "basic", "bearer" or "hmac-sha256"',
        }),
        header: text.optional(),
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    // The provider's rule, for writers that are not the provider: one category per keyword.
    for (const p of keywordConflicts(v.keywords))
      ctx.addIssue({ code: "custom", path: p.path, message: p.message });
  });

export const channelConfigurationData = z.looseObject({
  description: text.optional(),
  channel: z.enum(CHANNELS, { error: 'must be "sms", "mms" or "rcs"' }),
  messageType: z.enum(MESSAGE_TYPES, { error: 'must be "marketing" or "transactional"' }),
  apiCredentialId: id,
  apiCredentialType: credentialType.optional(),
  senderNumber,
  subdomain: subdomain.optional(),
  executionField: executionField.optional(),
  webhookIds: z.array(id).optional(),
});

/** The data schema of a record of this kind (and credential type, for an api-credential). */
export function recordDataSchema(kind: RecordKind, type: CredentialType | undefined): z.ZodType | undefined {
  switch (kind) {
    case "api-credential":
      if (type === undefined) return undefined;
      switch (type) {
        case "twilio-sms":
          return twilioSmsCredentialData;
        case "custom-rcs":
          return customRcsCredentialData;
      }
      break;
    case "webhook":
      return webhookData;
    case "channel-configuration":
      return channelConfigurationData;
  }
  return undefined;
}

export interface DataProblem {
  /** `data.accountSid`, `data.keywords.optOut.keywords[0]`. */
  readonly property: string;
  readonly reason: string;
}

/** Every problem with a record's data, each naming its field; empty when the data is valid. */
export function recordDataProblems(
  kind: RecordKind,
  type: CredentialType | undefined,
  data: unknown,
): DataProblem[] {
  const schema = recordDataSchema(kind, type);
  if (schema === undefined) return [];
  const result = schema.safeParse(data);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    property: ["data", ...issue.path]
      .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join(""),
    reason: issue.message,
  }));
}

/** A record's name: 1-200 characters; a channel configuration's is also a CHANNEL_NAME. */
export function recordNameProblem(kind: RecordKind, name: unknown): string | undefined {
  const schema = kind === "channel-configuration" ? channelName : recordName;
  const result = schema.safeParse(name);
  return result.success ? undefined : result.error.issues[0]?.message;
}
