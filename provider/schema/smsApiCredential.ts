import { z } from "zod";
import { accountSid, apiKeySid } from "../../contract/schema/fields";
import {
  commonInputs,
  e164,
  messagingServiceSid,
  secretString,
  validationMode,
  verifyConnection,
} from "./common";

export const smsApiCredentialInputs = z
  .object({
    ...commonInputs,
    accountSid,
    authToken: secretString.optional(),
    apiKeySid: apiKeySid.optional(),
    apiKeySecret: secretString.optional(),
    messagingServiceSid: messagingServiceSid.optional(),
    inboundNumber: e164.optional(),
    verifyConnection: verifyConnection.optional(),
    validation: validationMode.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const hasToken = v.authToken !== undefined;
    const hasKey = v.apiKeySid !== undefined || v.apiKeySecret !== undefined;
    if (hasToken && hasKey) {
      ctx.addIssue({
        code: "custom",
        path: ["authToken"],
        message: "give either authToken, or apiKeySid with apiKeySecret, not both",
      });
    } else if (!hasToken && !hasKey) {
      ctx.addIssue({
        code: "custom",
        path: ["authToken"],
        message: "required: give authToken, or apiKeySid with apiKeySecret",
      });
    } else if (hasKey && v.apiKeySid === undefined) {
      ctx.addIssue({ code: "custom", path: ["apiKeySid"], message: "required with apiKeySecret" });
    } else if (hasKey && v.apiKeySecret === undefined) {
      ctx.addIssue({ code: "custom", path: ["apiKeySecret"], message: "required with apiKeySid" });
    }
  });

export type SmsApiCredentialInputs = z.infer<typeof smsApiCredentialInputs>;

/** The fields kept encrypted in the store, never in outputs. */
export const SMS_API_CREDENTIAL_SECRET_FIELDS = ["authToken", "apiKeySecret"] as const;
