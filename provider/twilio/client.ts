import type { TwilioHttpClient } from "./http";

/** The credentials a Twilio client signs in with: the account's token, or an API key of the account. */
export type TwilioAuth =
  | { readonly accountSid: string; readonly authToken: string }
  | { readonly accountSid: string; readonly apiKeySid: string; readonly apiKeySecret: string };

// The `twilio` package is large: load it on first use, not when the provider starts.
type TwilioFactory = typeof import("twilio");
let factory: TwilioFactory | undefined;

export type TwilioClient = ReturnType<TwilioFactory>;

export function twilioClient(auth: TwilioAuth, http: TwilioHttpClient): TwilioClient {
  factory ??= require("twilio") as TwilioFactory;
  // The `twilio` package types its httpClient as its own axios-based class; ours implements the one
  // method it calls (`request`), with retries and the emulator/proxy base URL.
  const httpClient = http as unknown as NonNullable<NonNullable<Parameters<TwilioFactory>[2]>["httpClient"]>;
  if ("authToken" in auth) return factory(auth.accountSid, auth.authToken, { httpClient });
  return factory(auth.apiKeySid, auth.apiKeySecret, { accountSid: auth.accountSid, httpClient });
}
