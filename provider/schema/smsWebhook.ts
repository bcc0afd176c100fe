import { z } from "zod";
import { WEBHOOK_TYPES, type CredentialType } from "../../contract/records";
import { credentialType, payloadPath, senderNumber } from "../../contract/schema/fields";
import { commonInputs, sandbox, secretString, validationMode } from "./common";
import { keywordConflicts, keywordsSchema } from "./keywords";

export { WEBHOOK_TYPES } from "../../contract/records";
export type { WebhookType } from "../../contract/records";
export { senderNumber };

export const INBOUND_MAPPING_FIELDS = [
  "inboundMessage",
  "profileNumber",
  "requestId",
  "originTimestamp",
  "inboundNumber",
] as const;
export const FEEDBACK_MAPPING_FIELDS = ["clientReference", "code", "status"] as const;

export const apiCredentialRef = {
  /** The credential record's id (from a credential resource, or a string). */
  apiCredentialId: z
    .string({ error: "must be a credential id (a credential resource or its id)" })
    .min(1, "must not be empty"),
  /** Known in preview when a credential resource was passed; read from the store for a bare id. */
  apiCredentialType: credentialType.optional(),
  /** The credential resource's sandbox, known in preview: a reference across sandboxes fails there. */
  apiCredentialSandbox: sandbox.optional(),
};

/** How a custom vendor proves that a delivery is theirs (contract: SmsWebhook `verification`). */
export const webhookVerification = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("basic"), username: secretString, password: secretString }).strict(),
    z.object({ type: z.literal("bearer"), token: secretString }).strict(),
    z
      .object({
        type: z.literal("hmac-sha256"),
        secret: secretString,
        header: z
          .string({ error: "must be a string" })
          .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "must be an HTTP header name, e.g. X-Signature")
          .optional(),
      })
      .strict(),
  ],
  {
    error:
      'must be {type:"basic",username,password}, {type:"bearer",token} or {type:"hmac-sha256",secret,header?}',
  },
);
export type WebhookVerification = z.infer<typeof webhookVerification>;

/** How the credential signs in to Twilio, when the webhook knows it from the credential resource. */
export const CREDENTIAL_AUTHS = ["auth-token", "api-key"] as const;

export const TWILIO_AUTH_TOKEN_NEEDED =
  "is required: the credential signs in with an API key, but Twilio signs webhook requests with the account's auth token, which the receiver needs to check them";
export const VERIFICATION_NEEDED =
  'is required for a custom-vendor credential (CustomRcsCredential): say how the vendor proves a delivery is theirs, {type:"basic"|"bearer"|"hmac-sha256", …}';
export const VERIFICATION_NOT_FOR_TWILIO =
  "is for custom-vendor credentials; Twilio's deliveries are checked with X-Twilio-Signature (the account auth token)";
export const AUTH_TOKEN_NOT_FOR_CUSTOM =
  "is for Twilio SMS credentials (SmsApiCredential); a custom vendor's deliveries are checked with verification";

export const smsWebhookInputs = z
  .object({
    ...commonInputs,
    type: z.enum(WEBHOOK_TYPES, { error: 'must be "inbound" or "feedback"' }),
    ...apiCredentialRef,
    senderNumber: senderNumber.optional(),
    keywords: keywordsSchema.optional(),
    defaultReply: z
      .string({ error: "must be a string" })
      .min(1, "must not be empty")
      .max(1600, "must be at most 1600 characters")
      .optional(),
    payloadMapping: z.record(z.string(), payloadPath).optional(),
    attachToMessagingService: z.boolean({ error: "must be true or false" }).optional(),
    twilioAuthToken: secretString.optional(),
    verification: webhookVerification.optional(),
    /** Set by the resource class from an SmsApiCredential's inputs: whether it signs in with an API key. */
    apiCredentialAuth: z.enum(CREDENTIAL_AUTHS, { error: 'must be "auth-token" or "api-key"' }).optional(),
    validation: validationMode.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    for (const p of keywordConflicts(v.keywords))
      ctx.addIssue({ code: "custom", path: p.path, message: p.message });
    if (v.payloadMapping) {
      const allowed: readonly string[] =
        v.type === "inbound" ? INBOUND_MAPPING_FIELDS : FEEDBACK_MAPPING_FIELDS;
      for (const k of Object.keys(v.payloadMapping)) {
        if (!allowed.includes(k)) {
          ctx.addIssue({
            code: "custom",
            path: ["payloadMapping", k],
            message: `is not a field of ${v.type} webhooks; use ${allowed.join(", ")}`,
          });
        }
      }
      if (v.apiCredentialType === "twilio-sms") {
        ctx.addIssue({
          code: "custom",
          path: ["payloadMapping"],
          message: "is for custom vendors (a CustomRcsCredential); Twilio's own payload needs no mapping",
        });
      }
    }
    for (const f of credentialRuleFailures(v, v.apiCredentialType, v.apiCredentialAuth))
      ctx.addIssue({ code: "custom", path: [f.property], message: f.reason });
    if (v.type === "feedback" && v.keywords !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["keywords"],
        message: "belong to inbound webhooks; feedback webhooks get delivery status only",
      });
    }
  });

export type SmsWebhookInputs = z.infer<typeof smsWebhookInputs>;

/**
 * What the credential's kind asks of a webhook: Twilio signs with the auth token (an API-key
 * credential has none, so the webhook must carry it); a custom vendor must say how it proves itself.
 * Used by the schema when the credential resource told its type, and by the handler for a bare id.
 */
export function credentialRuleFailures(
  v: { twilioAuthToken?: string | undefined; verification?: unknown },
  type: CredentialType | undefined,
  auth: (typeof CREDENTIAL_AUTHS)[number] | undefined,
): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  switch (type) {
    case undefined:
      break;
    case "twilio-sms":
      if (v.verification !== undefined)
        failures.push({ property: "verification", reason: VERIFICATION_NOT_FOR_TWILIO });
      if (auth === "api-key" && v.twilioAuthToken === undefined)
        failures.push({ property: "twilioAuthToken", reason: TWILIO_AUTH_TOKEN_NEEDED });
      break;
    case "custom-rcs":
      if (v.verification === undefined)
        failures.push({ property: "verification", reason: VERIFICATION_NEEDED });
      if (v.twilioAuthToken !== undefined)
        failures.push({ property: "twilioAuthToken", reason: AUTH_TOKEN_NOT_FOR_CUSTOM });
      break;
  }
  return failures;
}
