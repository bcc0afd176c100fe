/**
 * The policies of the `sms-channels-policies` pack, as plain values: building the `PolicyPack` (which starts
 * the policy server) is left to `../index.ts`, so that tests and other packs can use the policies directly.
 */
import type { Policies } from "@pulumi/policy";
import { channelNameFormat } from "./channelNameFormat";
import { customCredentialHttps } from "./customCredentialHttps";
import { marketingChannelHasOptOut } from "./marketingChannelHasOptOut";
import { rcsRequiresCustomCredential } from "./rcsRequiresCustomCredential";
import { sameSandboxReferences } from "./sameSandboxReferences";
import { senderNumberFormat } from "./senderNumberFormat";

export const PACK_NAME = "sms-channels-policies";

export const policies: Policies = [
  rcsRequiresCustomCredential,
  senderNumberFormat,
  channelNameFormat,
  customCredentialHttps,
  sameSandboxReferences,
  marketingChannelHasOptOut,
];

export { CHANNEL_NAME_FORMAT, channelNameFormat } from "./channelNameFormat";
export { CUSTOM_CREDENTIAL_HTTPS, customCredentialHttps } from "./customCredentialHttps";
export {
  MARKETING_CHANNEL_HAS_OPT_OUT,
  marketingChannelHasOptOut,
  requiredOptOutKeywords,
  type MarketingChannelHasOptOutConfig,
} from "./marketingChannelHasOptOut";
export { RCS_REQUIRES_CUSTOM_CREDENTIAL, rcsRequiresCustomCredential } from "./rcsRequiresCustomCredential";
export { SAME_SANDBOX_REFERENCES, sameSandboxReferences } from "./sameSandboxReferences";
export { SENDER_NUMBER_FORMAT, senderNumberFormat } from "./senderNumberFormat";
export { TYPES } from "./formats";
