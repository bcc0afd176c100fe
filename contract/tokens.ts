/**
 * Pulumi type tokens: every resource is a `pulumi.dynamic.Resource` of module `smschannels`, so its
 * token is `pulumi-nodejs:dynamic/smschannels:<Name>`. Imports nothing (the pack carries a copy).
 */
import type { CredentialType } from "./records";

export const DYNAMIC_MODULE = "smschannels";
export const TYPE_PREFIX = `pulumi-nodejs:dynamic/${DYNAMIC_MODULE}:`;

export const RESOURCE_NAMES = [
  "SmsApiCredential",
  "CustomRcsCredential",
  "SmsWebhook",
  "ChannelConfiguration",
] as const;
export type ResourceName = (typeof RESOURCE_NAMES)[number];

export const TYPES = {
  SmsApiCredential: `${TYPE_PREFIX}SmsApiCredential`,
  CustomRcsCredential: `${TYPE_PREFIX}CustomRcsCredential`,
  SmsWebhook: `${TYPE_PREFIX}SmsWebhook`,
  ChannelConfiguration: `${TYPE_PREFIX}ChannelConfiguration`,
} as const;

// Every resource has its token (a compile error here names the one missing).
const _everyResourceHasAToken: Record<ResourceName, string> = TYPES;
void _everyResourceHasAToken;

/** The credential type of each credential resource. */
export const CREDENTIAL_TYPE_OF: { readonly [K in ResourceName]?: CredentialType } = {
  SmsApiCredential: "twilio-sms",
  CustomRcsCredential: "custom-rcs",
};

/** The credential type a resource type token stands for, if it is a credential. */
export function credentialTypeOfResourceType(type: string): CredentialType | undefined {
  const name = shortType(type);
  return type === `${TYPE_PREFIX}${name}` ? CREDENTIAL_TYPE_OF[name as ResourceName] : undefined;
}

/** `pulumi-nodejs:dynamic/smschannels:SmsWebhook` → `SmsWebhook`. */
export function shortType(type: string): string {
  return type.startsWith(TYPE_PREFIX) ? type.slice(TYPE_PREFIX.length) : type;
}
