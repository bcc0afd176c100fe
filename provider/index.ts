// The package's public surface for Pulumi programs.
export { SmsApiCredential, type SmsApiCredentialArgs } from "./resources/smsApiCredential";
export { ConfigError, resolveSettings, type ProviderSettings } from "./config";
export { StoreError } from "../store/errors";
