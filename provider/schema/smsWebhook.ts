import { z } from "zod";
import { CREDENTIAL_TYPES } from "../../store/types";
import { commonInputs, validationMode } from "./common";
import { keywordConflicts, keywordsSchema } from "./keywords";
import { SENDER_FORMAT_REASON, senderKind } from "./senders";

export const WEBHOOK_TYPES = ["inbound", "feedback"] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/** Where a custom vendor's webhook payload keeps each field (a dotted path into its JSON). */
const jsonPath = z
  .string({ error: "must be a string" })
  .regex(
    /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*|\[\d+\])*$/,
    "must be a dotted path into the payload, e.g. message.text",
  );

export const INBOUND_MAPPING_FIELDS = [
  "inboundMessage",
  "profileNumber",
  "requestId",
  "originTimestamp",
  "inboundNumber",
] as const;
export const FEEDBACK_MAPPING_FIELDS = ["clientReference", "code", "status"] as const;

export const senderNumber = z
  .string({ error: "must be a string" })
  .refine((s) => senderKind(s) !== undefined, SENDER_FORMAT_REASON);

export const apiCredentialRef = {
  /** The credential record's id (from a credential resource, or a string). */
  apiCredentialId: z
    .string({ error: "must be a credential id (a credential resource or its id)" })
    .min(1, "must not be empty"),
  /** Known in preview when a credential resource was passed; read from the store for a bare id. */
  apiCredentialType: z.enum(CREDENTIAL_TYPES, { error: 'must be "twilio-sms" or "custom-rcs"' }).optional(),
};

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
    payloadMapping: z.record(z.string(), jsonPath).optional(),
    attachToMessagingService: z.boolean({ error: "must be true or false" }).optional(),
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
    if (v.type === "feedback" && v.keywords !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["keywords"],
        message: "belong to inbound webhooks; feedback webhooks get delivery status only",
      });
    }
  });

export type SmsWebhookInputs = z.infer<typeof smsWebhookInputs>;
