// The package's public surface for Pulumi programs.
export { SmsApiCredential, type SmsApiCredentialArgs } from "./resources/smsApiCredential";
export { CustomRcsCredential, type CustomRcsCredentialArgs } from "./resources/customRcsCredential";
export { SmsWebhook, type SmsWebhookArgs } from "./resources/smsWebhook";
export { ChannelConfiguration, type ChannelConfigurationArgs } from "./resources/channelConfiguration";
export type { CredentialReference } from "./resources/references";
export { ConfigError, resolveSettings, type ProviderSettings } from "./config";
export { StoreError, type StoreErrorCode } from "../store/errors";
