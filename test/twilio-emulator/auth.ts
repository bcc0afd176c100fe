import { createHash, timingSafeEqual } from "node:crypto";
import { TwilioApiError } from "./errors";
import type { EmulatorState } from "./state";

/**
 * Twilio's authentication: HTTP Basic with `AccountSid:AuthToken`, or `ApiKeySid:ApiKeySecret` of a
 * key of the account. Wrong or missing credentials are 401, code 20003 ("Authenticate").
 *
 * A suspended or closed account still authenticates here: FetchAccount shows its status, and what it
 * may not do (send messages) fails with its own code.
 */

export type CredentialKind = "auth-token" | "main-key" | "standard-key";

export interface Principal {
  /** The account the credentials act for. */
  readonly accountSid: string;
  /** The basic-auth user: the AC or SK SID. Never the password. */
  readonly user: string;
  readonly kind: CredentialKind;
}

export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

/** Parses `Authorization: Basic base64(user:password)`; the password may itself hold colons. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Compares secrets in constant time (hashing first, so lengths may differ). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export function authenticate(state: EmulatorState, header: string | undefined): Principal {
  const creds = parseBasicAuth(header);
  if (!creds) throw TwilioApiError.authenticate();
  if (creds.user.startsWith("AC")) {
    const account = state.accounts.get(creds.user);
    if (account && sameSecret(creds.password, account.authToken)) {
      return { accountSid: account.sid, user: creds.user, kind: "auth-token" };
    }
  } else if (creds.user.startsWith("SK")) {
    const key = state.apiKeys.get(creds.user);
    if (key && state.accounts.has(key.accountSid) && sameSecret(creds.password, key.secret)) {
      return {
        accountSid: key.accountSid,
        user: creds.user,
        kind: key.kind === "main" ? "main-key" : "standard-key",
      };
    }
  }
  throw TwilioApiError.authenticate();
}

/**
 * A 2010 API path names its account: the credentials must act for that account. Twilio answers
 * 20003 when credentials of one account reach another's (its docs list "using subaccount
 * credentials to access master account" and "API key of another account" as 20003 causes).
 */
export function requirePathAccount(principal: Principal, pathAccountSid: string): void {
  if (principal.accountSid !== pathAccountSid) throw TwilioApiError.authenticate();
}

/**
 * The Account resource itself (`/2010-04-01/Accounts/{Sid}.json`) needs the auth token or a Main key.
 * Twilio's docs: a Standard key has "access to all Twilio API resources, except for Accounts
 * (/Accounts) or Keys" ones; Twilio refuses such a request as unauthenticated for that resource, so
 * the emulator answers 401 with code 20003, like wrong credentials.
 */
export function requireAccountAccess(principal: Principal): void {
  if (principal.kind === "standard-key") throw TwilioApiError.authenticate();
}
