/**
 * Each resource's outputs, declared once: what its class shows a program (`declare readonly x:
 * pulumi.Output<…>`) and what its handler returns from create/update (`outputs`) and refresh
 * (`readProps`). The handlers are typed from these (provider/handlers/record.ts), and
 * test/types/outputs.ts fails lint when a class's declarations differ from them (a field missing or
 * extra, another type, another optionality). Plain interfaces, like args.ts: the published `.d.ts`
 * must compile without zod and under TypeScript 3.8. An optional field is one the state may lack.
 */

/** What every record resource outputs. */
export interface RecordOutputs {
  sandbox: string;
  name: string;
  /** The store record's id (the same as `id`, visible to policy packs). */
  recordId: string;
  recordVersion: number;
}

export interface SmsApiCredentialOutputs extends RecordOutputs {
  accountSid: string;
  apiKeySid?: string;
  messagingServiceSid?: string;
  inboundNumber?: string;
  vendor: "twilio";
  credentialType: "twilio-sms";
  accountFriendlyName?: string;
  accountType?: string;
  secretFingerprint: string;
  validatedAt?: string;
  verificationMessageSid?: string;
}

export interface CustomRcsCredentialOutputs extends RecordOutputs {
  providerName: string;
  providerAppId?: string;
  providerUrl: string;
  payloadTemplate: string;
  messagingServiceSid?: string;
  vendor: "custom";
  credentialType: "custom-rcs";
  /** basic, bearer, apiKey, oauth2, mtls or none: never the secret itself. */
  authType: string;
  /** The basic-auth user name, the API-key header's name, the OAuth2 token URL: what the auth is. */
  authUsername?: string;
  authHeaderName?: string;
  authTokenUrl?: string;
  headerNames: string[];
  secretFingerprint: string;
  validatedAt?: string;
  verifiedAt?: string;
  verificationStatus?: number;
  verificationMessageSid?: string;
}

export interface SmsWebhookOutputs extends RecordOutputs {
  type: "inbound" | "feedback";
  apiCredentialId: string;
  apiCredentialType: string;
  webhookUrl: string;
  /** The keywords the messaging runtime answers, the contract's defaults filled in (inbound only). */
  resolvedKeywords?: unknown;
  /** `basic`, `bearer` or `hmac-sha256` (custom vendors): never the secret itself. */
  verificationType?: string;
  verificationHeader?: string;
  secretFingerprint?: string;
  attachedServiceSid?: string;
}

export interface ChannelConfigurationOutputs extends RecordOutputs {
  channel: "sms" | "mms" | "rcs";
  messageType: "marketing" | "transactional";
  apiCredentialId: string;
  apiCredentialType: string;
  senderNumber: string;
  webhookIds?: string[];
  /** Always `"stored"`: the configuration is kept in the credential store. It turns nothing on at a vendor. */
  status: "stored";
}
