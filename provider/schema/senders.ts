/** Sender formats are the contract's (contract/formats.ts); re-exported for the provider's imports. */
export { ALPHANUMERIC_SENDER, SENDER_FORMAT_REASON, SHORT_CODE, senderKind } from "../../contract/formats";
export type { SenderKind } from "../../contract/formats";
