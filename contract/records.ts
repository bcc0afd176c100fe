/** What the credential store keeps: record kinds and credential types. Imports nothing. */

export const RECORD_KINDS = ["api-credential", "webhook", "channel-configuration"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const CREDENTIAL_TYPES = ["twilio-sms", "custom-rcs"] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

export const VALIDATION_MODES = ["strict", "warn", "off"] as const;
export type ValidationMode = (typeof VALIDATION_MODES)[number];

export const CHANNELS = ["sms", "mms", "rcs"] as const;
export type Channel = (typeof CHANNELS)[number];

export const MESSAGE_TYPES = ["marketing", "transactional"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const WEBHOOK_TYPES = ["inbound", "feedback"] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];
