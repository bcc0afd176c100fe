/** The custom-vendor (RCS) client: sending, OAuth2 tokens, connection pools, redaction, payload templates. */
export type { Mtls, OAuth2Auth, VendorAuth } from "./auth";
export {
  CustomVendorClient,
  type CustomVendorClientOptions,
  type CustomVendorRequest,
  type CustomVendorResponse,
} from "./client";
export { CustomVendorError, type CustomVendorErrorCode } from "./errors";
export type { ConnectedTo } from "./pools";
export {
  PayloadTemplateError,
  PLACEHOLDERS,
  renderPayload,
  templateProblems,
  type TemplateValues,
} from "./template";
