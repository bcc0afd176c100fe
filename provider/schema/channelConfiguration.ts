import { z } from "zod";
import { commonInputs, sandbox, validationMode } from "./common";
import { apiCredentialRef, senderNumber } from "./smsWebhook";

export const CHANNELS = ["sms", "mms", "rcs"] as const;
export const MESSAGE_TYPES = ["marketing", "transactional"] as const;
export const CHANNEL_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const RESERVED_SUBDOMAINS = new Set(["cdn", "data"]);

export const channelConfigurationInputs = z
  .object({
    ...commonInputs,
    name: z
      .string({ error: "must be a string" })
      .max(200, "must be at most 200 characters")
      .regex(CHANNEL_NAME, "must start with a letter and hold only letters, digits, '_', '.' and '-'"),
    description: z
      .string({ error: "must be a string" })
      .max(1000, "must be at most 1000 characters")
      .optional(),
    channel: z.enum(CHANNELS, { error: 'must be "sms", "mms" or "rcs"' }),
    messageType: z.enum(MESSAGE_TYPES, { error: 'must be "marketing" or "transactional"' }),
    ...apiCredentialRef,
    senderNumber,
    subdomain: z
      .string({ error: "must be a string" })
      .regex(
        /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
        "must be lowercase letters, digits and inner hyphens (at most 63)",
      )
      .refine((s) => !RESERVED_SUBDOMAINS.has(s), "is reserved (cdn and data cannot be used)")
      .optional(),
    executionField: z
      .string({ error: "must be a string" })
      .regex(
        /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
        "must be a dotted field path, e.g. mobilePhone.number",
      )
      .default("mobilePhone.number"),
    webhookIds: z.array(z.string({ error: "must be a webhook id" }).min(1)).optional(),
    /** The sandboxes of the webhook resources passed (not of bare ids), known in preview. */
    webhookSandboxes: z.array(sandbox).optional(),
    validation: validationMode.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.channel === "rcs" && v.apiCredentialType === "twilio-sms") {
      ctx.addIssue({
        code: "custom",
        path: ["apiCredential"],
        message:
          "an rcs channel needs a custom-rcs credential (CustomRcsCredential): Twilio SMS credentials are refused, since RCS needs another payload format",
      });
    }
  });

export type ChannelConfigurationInputs = z.infer<typeof channelConfigurationInputs>;
