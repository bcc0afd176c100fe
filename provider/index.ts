// The package's public surface for Pulumi programs. Its declarations stand alone: they name only
// @pulumi/pulumi and the plain interfaces of ./resources/args (no zod, no store, no handlers), so they
// compile in any program (see test/install/). The provider process loads `pulumi-sms-channels/handlers`.
export { SmsApiCredential } from "./resources/smsApiCredential";
export { CustomRcsCredential } from "./resources/customRcsCredential";
export { SmsWebhook } from "./resources/smsWebhook";
export { ChannelConfiguration } from "./resources/channelConfiguration";
export type {
  ChannelConfigurationArgs,
  CommonArgs,
  CredentialReference,
  CustomRcsAuth,
  CustomRcsCredentialArgs,
  CustomRcsVerifyConnectionArgs,
  KeywordCategoryArgs,
  KeywordsArgs,
  OptOutKeywordsArgs,
  SmsApiCredentialArgs,
  SmsWebhookArgs,
  ValidationMode,
  VerifyConnectionArgs,
} from "./resources/args";
