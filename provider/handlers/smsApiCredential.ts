import type { SmsApiCredentialInputs } from "../schema/smsApiCredential";
import type { TwilioAuth } from "../twilio/rest";
import { sendVerificationMessage } from "../twilio/messages";
import type { ValidationReport } from "../twilio/validate";
import type { SmsApiCredentialOutputs } from "../resources/outputs";
import { applyMode, InputError, pick, storedFields, validationMode } from "./common";
import type { ProviderContext } from "./context";
import { recordHandlers, same, type State, type StateProps } from "./record";

const TYPE = "SmsApiCredential";
/** The input schema needs zod: required on the first check (see record.ts `schema`). */
const schemaModule = () =>
  require("../schema/smsApiCredential") as typeof import("../schema/smsApiCredential");
type Props = StateProps<SmsApiCredentialInputs, SmsApiCredentialOutputs>;
const stored = storedFields<State<SmsApiCredentialInputs, SmsApiCredentialOutputs>>();

export function twilioAuthOf(v: {
  accountSid: string;
  authToken?: string | undefined;
  apiKeySid?: string | undefined;
  apiKeySecret?: string | undefined;
}): TwilioAuth {
  return v.authToken !== undefined
    ? { accountSid: v.accountSid, authToken: v.authToken }
    : { accountSid: v.accountSid, apiKeySid: v.apiKeySid as string, apiKeySecret: v.apiKeySecret as string };
}

/** Asks Twilio (once per distinct question per process) unless validation is off. */
async function validate(
  ctx: ProviderContext,
  v: SmsApiCredentialInputs,
): Promise<{ failures: ReturnType<typeof applyMode>; report?: ValidationReport }> {
  const mode = validationMode(ctx, v.validation);
  if (mode === "off") return { failures: [] };
  const report = await ctx.validator.checkSmsCredential({
    auth: twilioAuthOf(v),
    ...(v.messagingServiceSid ? { messagingServiceSid: v.messagingServiceSid } : {}),
    ...(v.inboundNumber ? { inboundNumber: v.inboundNumber } : {}),
  });
  return { failures: applyMode(mode, v.name, report.failures), report };
}

export const smsApiCredential = recordHandlers<SmsApiCredentialInputs, SmsApiCredentialOutputs>({
  type: TYPE,
  kind: "api-credential",
  credentialType: "twilio-sms",
  schema: () => schemaModule().smsApiCredentialInputs,
  crossFieldGuard: ["authToken", "apiKeySid", "apiKeySecret"],
  plainFields: [
    "sandbox",
    "name",
    "accountSid",
    "apiKeySid",
    "messagingServiceSid",
    "inboundNumber",
    "verifyConnection",
    "validation",
  ],
  secretFields: ["authToken", "apiKeySecret"],
  checkNeeds: [
    "accountSid",
    "authToken",
    "apiKeySid",
    "apiKeySecret",
    "messagingServiceSid",
    "inboundNumber",
    "validation",
  ],

  async checkKnown(ctx, v) {
    return (await validate(ctx, v)).failures;
  },

  async prepare(ctx, v, phase, olds) {
    const { failures, report } = await validate(ctx, v);
    if (failures.length > 0) throw new InputError(TYPE, failures);
    // The sample message goes before the write: if Twilio refuses it, nothing is written.
    let verificationMessageSid = olds?.["verificationMessageSid"] as string | undefined;
    if (v.verifyConnection && (phase === "create" || !same(olds?.["verifyConnection"], v.verifyConnection))) {
      verificationMessageSid = await sendVerificationMessage(ctx.validator.client(twilioAuthOf(v)), {
        to: v.verifyConnection.to,
        body: v.verifyConnection.message,
        ...(v.messagingServiceSid ? { messagingServiceSid: v.messagingServiceSid } : {}),
        ...(v.inboundNumber ? { from: v.inboundNumber } : {}),
      });
    }
    return {
      data: {
        ...pick(v, ["accountSid", "apiKeySid", "messagingServiceSid", "inboundNumber"]),
        ...(report?.account?.friendlyName !== undefined
          ? { accountFriendlyName: report.account.friendlyName }
          : {}),
        ...(report?.account?.type !== undefined ? { accountType: report.account.type } : {}),
        ...(report ? { validatedAt: report.validatedAt } : {}),
      },
      outputs: verificationMessageSid ? { verificationMessageSid } : {},
    };
  },

  outputs: (_ctx, _v, record): Props => ({
    vendor: "twilio",
    ...stored(record.data, ["accountFriendlyName", "accountType", "validatedAt"]),
  }),

  readProps: (_ctx, record): Props => ({
    vendor: "twilio",
    credentialType: "twilio-sms",
    ...stored(record.data, [
      "accountSid",
      "apiKeySid",
      "messagingServiceSid",
      "inboundNumber",
      "accountFriendlyName",
      "accountType",
      "validatedAt",
    ]),
  }),
});
