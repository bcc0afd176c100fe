import { z } from "zod";
import { e164, recordName, sandboxWithDefault } from "../../contract/schema/fields";

/** The contract's formats live in contract/; these re-exports keep the provider's imports short. */
export { ACCOUNT_SID, API_KEY_SID, E164, MESSAGING_SERVICE_SID, SANDBOX } from "../../contract/formats";
export { VALIDATION_MODES } from "../../contract/records";
export type { ValidationMode } from "../../contract/records";
export { e164, messagingServiceSid, recordName, sandbox, validationMode } from "../../contract/schema/fields";

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
  sandbox: sandboxWithDefault,
  name: recordName,
  /** Set by the resource class, so a create retried after a crash can adopt its own record. */
  ownerUrn: z.string().optional(),
};
