/** A Twilio REST API emulator for tests and the demo. */
export { TwilioEmulator, type TwilioEmulatorOptions } from "./server";
export type { Fault, FaultMatch, StatusFault, LatencyFault, DropFault } from "./faults";
export type { LoggedRequest } from "./request-log";
export type { Principal, CredentialKind } from "./auth";
export { ErrorCodes, errorBody, type TwilioErrorBody } from "./errors";
export { ADMIN_PREFIX, parseFaultJson } from "./admin";
export {
  parseSeedSpec,
  redactSeedResult,
  type SeedSpec,
  type SeedResult,
  type SeedAccountResult,
} from "./seed";
export { ROUTES } from "./routes";
export {
  twilioSignature,
  type Delivery,
  type InboundDelivery,
  type OptOutType,
  type Signing,
  type StatusDelivery,
} from "./deliver";
export type {
  AccountStatus,
  AccountType,
  ApiKeyKind,
  AddAccountOptions,
  AddServiceOptions,
  AddSenderOptions,
  SenderStatus,
  SeededAccount,
  SeededApiKey,
  SeededNumber,
  SeededSender,
  SeededService,
  SentMessage,
  ServiceView,
} from "./state";
