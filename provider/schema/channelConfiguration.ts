import { z } from "zod";
import { commonInputs, sandbox, validationMode } from "./common";
import { apiCredentialRef, senderNumber } from "./smsWebhook";
import { DEFAULT_EXECUTION_FIELD } from "../../contract/defaults";
import { CHANNELS, MESSAGE_TYPES } from "../../contract/records";
import { channelName, executionField, subdomain } from "../../contract/schema/fields";

export { CHANNELS, MESSAGE_TYPES } from "../../contract/records";
export { CHANNEL_NAME } from "../../contract/formats";

export const channelConfigurationInputs = z
  .object({
    ...commonInputs,
    name: channelName,
    description: z
      .string({ error: "must be a string" })
      .max(1000, "must be at most 1000 characters")
      .optional(),
    channel: z.enum(CHANNELS, { error: 'must be "sms", "mms" or "rcs"' }),
    messageType: z.enum(MESSAGE_TYPES, { error: 'must be "marketing" or "transactional"' }),
    ...apiCredentialRef,
    senderNumber,
    subdomain: subdomain.optional(),
    executionField: executionField.default(DEFAULT_EXECUTION_FIELD),
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
