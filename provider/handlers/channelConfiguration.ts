import type { RecordRef, StoredRecord } from "../../store/types";
import type { CheckFailure } from "../schema/check";
import { senderKind } from "../../contract/formats";
import type { ChannelConfigurationInputs } from "../schema/channelConfiguration";
import { describeTwilioFailure } from "../twilio/errors";
import type { ChannelConfigurationOutputs } from "../resources/outputs";
import { applyMode, InputError, pick, storedFields, validationMode } from "./common";
import type { ProviderContext } from "./context";
import { missingCredential, storedCredential, storeRuleFailures, twilioAuthOfStored } from "./credentials";
import { recordHandlers, type Keys, type State, type StateProps } from "./record";

const TYPE = "ChannelConfiguration";
/** The input schema needs zod: required on the first check (see record.ts `schema`). */
const schemaModule = () =>
  require("../schema/channelConfiguration") as typeof import("../schema/channelConfiguration");
type Props = StateProps<ChannelConfigurationInputs, ChannelConfigurationOutputs>;
const stored = storedFields<State<ChannelConfigurationInputs, ChannelConfigurationOutputs>>();
const DATA_FIELDS = [
  "description",
  "channel",
  "messageType",
  "apiCredentialId",
  "apiCredentialType",
  "senderNumber",
  "subdomain",
  "executionField",
  "webhookIds",
] as const satisfies Keys<State<ChannelConfigurationInputs, ChannelConfigurationOutputs>>;

/**
 * A twilio-sms credential may send from its inbound number or a number of its messaging service:
 * checked with the stored credential at create and update (never in preview, when the record may
 * not exist yet).
 */
async function checkSender(
  ctx: ProviderContext,
  v: ChannelConfigurationInputs,
  credential: StoredRecord,
): Promise<CheckFailure[]> {
  // An rcs channel on a twilio-sms credential is the store's to refuse, inside its write transaction.
  const mode = validationMode(ctx, v.validation);
  if (
    v.channel === "rcs" ||
    credential.credentialType !== "twilio-sms" ||
    mode === "off" ||
    senderKind(v.senderNumber) === "alphanumeric"
  ) {
    return [];
  }
  const inbound = credential.data["inboundNumber"];
  if (inbound === v.senderNumber) return [];
  const service = credential.data["messagingServiceSid"] as string | undefined;
  const numbers = await ctx.validator.senderNumbers(await twilioAuthOfStored(ctx, credential), service);
  if (!numbers.ok) {
    return applyMode(mode, v.name, [
      {
        property: "senderNumber",
        reason: `could not list the numbers of ${service}: ${describeTwilioFailure(numbers.failure)}`,
      },
    ]);
  }
  if (numbers.value.includes(v.senderNumber)) return [];
  return applyMode(mode, v.name, [
    {
      property: "senderNumber",
      reason: `${v.senderNumber} is neither the inbound number of credential "${credential.name}"${inbound ? ` (${String(inbound)})` : ""} nor a number of its messaging service${service ? ` ${service}` : " (it has none)"}`,
    },
  ]);
}

/** ChannelConfiguration.status: the record is in the credential store (no vendor-side activation). */
export const CHANNEL_STATUS: ChannelConfigurationOutputs["status"] = "stored";

export const channelConfiguration = recordHandlers<ChannelConfigurationInputs, ChannelConfigurationOutputs>({
  type: TYPE,
  kind: "channel-configuration",
  schema: () => schemaModule().channelConfigurationInputs,
  // As checkSender: validation asks Twilio for the sender numbers with the credential's secret.
  readsSecrets: (ctx, v) =>
    validationMode(ctx, v.validation) !== "off" &&
    v.channel !== "rcs" &&
    v.apiCredentialType !== "custom-rcs" &&
    senderKind(v.senderNumber) !== "alphanumeric"
      ? "with validation on, it asks Twilio whether senderNumber belongs to the credential, with the credential's secret"
      : undefined,
  crossFieldGuard: ["channel", "apiCredentialType"],
  plainFields: [
    "sandbox",
    "name",
    "description",
    "channel",
    "messageType",
    "apiCredentialId",
    "senderNumber",
    "subdomain",
    "executionField",
    "webhookIds",
    "validation",
  ],
  checkNeeds: ["sandbox", "apiCredentialId", "apiCredentialType", "channel"],

  async checkKnown(ctx, v) {
    // A credential resource gave its type already (and the schema judged it). A bare id: judge it by
    // the store's own rules against the stored credential, so preview says what the write would.
    if (v.apiCredentialType) return [];
    const credential = await storedCredential(ctx, TYPE, v.sandbox, v.apiCredentialId);
    if (!credential) return [missingCredential(v.sandbox, v.apiCredentialId)];
    return storeRuleFailures(
      { kind: "channel-configuration", name: v.name, sandbox: v.sandbox, data: { channel: v.channel } },
      [credential],
    );
  },

  async prepare(ctx, v) {
    const credential = await storedCredential(ctx, TYPE, v.sandbox, v.apiCredentialId);
    if (!credential) throw new InputError(TYPE, [missingCredential(v.sandbox, v.apiCredentialId)]);
    const failures = await checkSender(ctx, v, credential);
    if (failures.length > 0) throw new InputError(TYPE, failures);
    const refs: RecordRef[] = [
      { kind: "api-credential", id: v.apiCredentialId },
      ...(v.webhookIds ?? []).map((id): RecordRef => ({ kind: "webhook", id })),
    ];
    return {
      data: {
        ...pick(v, DATA_FIELDS),
        ...(credential?.credentialType ? { apiCredentialType: credential.credentialType } : {}),
      },
      refs,
    };
  },

  // `status` says what is true: the configuration is kept in the store. Nothing here turns a channel
  // on at a vendor, so "active" (what it said before) promised more than was done.
  outputs: (_ctx, _v, record): Props => ({
    ...stored(record.data, ["apiCredentialType"]),
    status: CHANNEL_STATUS,
  }),

  readProps: (_ctx, record): Props => ({ ...stored(record.data, DATA_FIELDS), status: CHANNEL_STATUS }),
});
