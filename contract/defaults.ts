/** The contract's defaults, once. Imports nothing (the pack carries a copy). */

/** The sandbox of a resource that names none. */
export const DEFAULT_SANDBOX = "prod";

/** ChannelConfiguration `executionField` when omitted. */
export const DEFAULT_EXECUTION_FIELD = "mobilePhone.number";

/**
 * The header an SmsWebhook `hmac-sha256` verification reads when none is named: the provider writes
 * it into the record and the webhook receiver reads it, so both take it from here.
 */
export const DEFAULT_SIGNATURE_HEADER = "X-Signature";

/** SmsWebhook keyword categories left out. */
export const DEFAULT_KEYWORDS = {
  optIn: {
    keywords: ["Subscribe", "Yes", "Unstop", "Continue", "Resume", "Begin", "Start"],
    reply: "You are subscribed again. Reply STOP to unsubscribe, HELP for help.",
  },
  optOut: {
    keywords: ["Stop", "Quit", "Cancel", "End", "Unsubscribe", "No"],
    reply: "You are unsubscribed and will get no more messages. Reply START to subscribe again.",
  },
  help: {
    keywords: ["Help", "Info", "Information"],
    reply: "Reply STOP to unsubscribe, START to subscribe again.",
  },
} as const;
