/**
 * The resources' argument types, as a program sees them. They are plain interfaces over `pulumi.Input`
 * on purpose: the published `.d.ts` must compile in any Pulumi program (the `tsconfig.json` of
 * `pulumi new typescript`, no `skipLibCheck`, TypeScript 3.8 to 5.x), so nothing here may name zod or
 * use syntax newer than TypeScript 3.8. The zod schemas in provider/schema/ stay the single source of
 * truth: test/types/args.ts fails lint unless these types accept exactly what the schemas accept.
 */
import * as pulumi from "@pulumi/pulumi";

/** `strict` turns Twilio's verdicts into preview errors, `warn` into warnings, `off` makes no call. */
export type ValidationMode = "strict" | "warn" | "off";

/** A credential resource (SmsApiCredential or CustomRcsCredential) or a stored credential's id. */
export type CredentialReference = pulumi.CustomResource | pulumi.Input<string>;

/** What every resource takes. */
export interface CommonArgs {
  /** The store's sandbox (`^[a-z0-9][a-z0-9-]{0,62}$`); default `prod`. A change replaces the resource. */
  sandbox?: pulumi.Input<string>;
  /** The record's name, unique per sandbox and kind; default: the Pulumi resource name. */
  name?: pulumi.Input<string>;
  /** Overrides `smschannels:validation` for this resource. */
  validation?: pulumi.Input<ValidationMode>;
}

/** One sample message sent on create (and on update when this changes); never in preview. */
export interface VerifyConnectionArgs {
  /** E.164 number that receives the sample message. */
  to: pulumi.Input<string>;
  /** Text of the sample message (at most 1600 characters). */
  message: pulumi.Input<string>;
}

export interface SmsApiCredentialArgs extends CommonArgs {
  /** `^AC[0-9a-fA-F]{32}$` */
  accountSid: pulumi.Input<string>;
  /** The account's auth token (kept secret); or `apiKeySid` with `apiKeySecret`. */
  authToken?: pulumi.Input<string>;
  /** `^SK[0-9a-fA-F]{32}$` */
  apiKeySid?: pulumi.Input<string>;
  /** The API key's secret (kept secret). */
  apiKeySecret?: pulumi.Input<string>;
  /** `^MG[0-9a-fA-F]{32}$`: the "Message SID" of the console form. */
  messagingServiceSid?: pulumi.Input<string>;
  /** E.164 number of the account or of the service's senders. */
  inboundNumber?: pulumi.Input<string>;
  verifyConnection?: pulumi.Input<VerifyConnectionArgs>;
}

/** How requests to a custom vendor authenticate; every field is kept secret. */
export type CustomRcsAuth =
  | { type: "basic"; username: pulumi.Input<string>; password: pulumi.Input<string> }
  | { type: "bearer"; token: pulumi.Input<string> }
  /** The token sent in the header `name`. */
  | { type: "apiKey"; name: pulumi.Input<string>; token: pulumi.Input<string> }
  /** OAuth2 client credentials: `body` is the form body of the token request (it holds the client secret). */
  | { type: "oauth2"; tokenUrl: pulumi.Input<string>; body: pulumi.Input<string> }
  /** No header; optionally mutual TLS with a PEM certificate and key. */
  | { type: "none"; mtls?: pulumi.Input<{ cert: pulumi.Input<string>; key: pulumi.Input<string> }> };

export interface CustomRcsVerifyConnectionArgs extends VerifyConnectionArgs {
  /** The `{{fromNumber}}` of the sample message. */
  from?: pulumi.Input<string>;
}

export interface CustomRcsCredentialArgs extends CommonArgs {
  providerName: pulumi.Input<string>;
  providerAppId?: pulumi.Input<string>;
  /** https URL (http only for loopback hosts), with no credentials in it. */
  providerUrl: pulumi.Input<string>;
  auth: pulumi.Input<CustomRcsAuth>;
  /** Extra request headers (values kept secret); Content-Type is always application/json. */
  headers?: pulumi.Input<{ [name: string]: pulumi.Input<string> }>;
  /** JSON text referencing `{{fromNumber}}`, `{{toNumber}}` and `{{message}}` inside its strings. */
  payloadTemplate: pulumi.Input<string>;
  /** The Twilio service whose sender pool must hold an RCS sender (`rcs:…`). */
  messagingServiceSid?: pulumi.Input<string>;
  verifyConnection?: pulumi.Input<CustomRcsVerifyConnectionArgs>;
}

/** Keywords of one category and the reply they get. */
export interface KeywordCategoryArgs {
  keywords: pulumi.Input<pulumi.Input<string>[]>;
  reply: pulumi.Input<string>;
}

export interface OptOutKeywordsArgs extends KeywordCategoryArgs {
  /** Also match near misses ("stop please", "STOP!"), answered with `fuzzyReply`. */
  fuzzy?: pulumi.Input<boolean>;
  fuzzyReply?: pulumi.Input<string>;
}

/** Keywords are case-insensitive and unique across categories; categories left out take the defaults. */
export interface KeywordsArgs {
  optIn?: pulumi.Input<KeywordCategoryArgs>;
  optOut?: pulumi.Input<OptOutKeywordsArgs>;
  doubleOptIn?: pulumi.Input<KeywordCategoryArgs>;
  help?: pulumi.Input<KeywordCategoryArgs>;
  custom?: pulumi.Input<pulumi.Input<{ keyword: pulumi.Input<string>; reply: pulumi.Input<string> }>[]>;
}

export interface SmsWebhookArgs extends CommonArgs {
  type: pulumi.Input<"inbound" | "feedback">;
  /** An SmsApiCredential or CustomRcsCredential, or the id of a stored credential. */
  apiCredential: CredentialReference;
  senderNumber?: pulumi.Input<string>;
  /** Inbound webhooks only. */
  keywords?: pulumi.Input<KeywordsArgs>;
  defaultReply?: pulumi.Input<string>;
  /** Custom vendors: where their payload keeps each field (dotted paths). */
  payloadMapping?: pulumi.Input<{ [field: string]: pulumi.Input<string> }>;
  /** Point the Twilio service's inbound URL (or status callback) at this webhook; restored on delete. */
  attachToMessagingService?: pulumi.Input<boolean>;
  /** The account auth token Twilio signs its requests with (secret): required when the credential is an API key. */
  twilioAuthToken?: pulumi.Input<string>;
  /** Custom vendors (required for them): how a delivery proves it is theirs. Secret fields. */
  verification?: pulumi.Input<WebhookVerificationArgs>;
}

/** `hmac-sha256`: hex or base64 HMAC of the raw body in `header` (default `X-Signature`). */
export type WebhookVerificationArgs =
  | { type: "basic"; username: pulumi.Input<string>; password: pulumi.Input<string> }
  | { type: "bearer"; token: pulumi.Input<string> }
  | { type: "hmac-sha256"; secret: pulumi.Input<string>; header?: pulumi.Input<string> };

export interface ChannelConfigurationArgs extends CommonArgs {
  description?: pulumi.Input<string>;
  channel: pulumi.Input<"sms" | "mms" | "rcs">;
  messageType: pulumi.Input<"marketing" | "transactional">;
  /** An SmsApiCredential or CustomRcsCredential, or the id of a stored credential. An rcs channel takes a CustomRcsCredential only. */
  apiCredential: CredentialReference;
  /** E.164 number, short code (5-6 digits) or alphanumeric sender ID (1-11, at least one letter). */
  senderNumber: pulumi.Input<string>;
  /** Lowercase letters, digits and hyphens; not `cdn` or `data`. */
  subdomain?: pulumi.Input<string>;
  /** Dotted field path; default `mobilePhone.number`. */
  executionField?: pulumi.Input<string>;
  /** SmsWebhook resources (or webhook ids). */
  webhooks?: (pulumi.CustomResource | pulumi.Input<string>)[];
}
