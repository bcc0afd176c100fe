import { createHash } from "node:crypto";
import type { CheckFailure } from "../schema/check";
import { classifyTwilioError, describeTwilioFailure, type TwilioFailure } from "./errors";
import type { TwilioHttpClient } from "./http";
import { TwilioRest, type AccountResource, type TwilioAuth } from "./rest";

export interface AccountFacts {
  readonly friendlyName?: string;
  readonly type?: string;
  readonly status?: string;
}

export interface SmsCredentialToCheck {
  readonly auth: TwilioAuth;
  readonly messagingServiceSid?: string;
  readonly inboundNumber?: string;
  /** Also require an RCS sender (`rcs:…`) in the messaging service's sender pool. */
  readonly requireRcsSender?: boolean;
}

export interface ValidationReport {
  readonly failures: CheckFailure[];
  readonly account?: AccountFacts;
  readonly validatedAt: string;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; failure: TwilioFailure };

const OFFLINE_ADVICE =
  'set smschannels:validation (or this resource\'s `validation`) to "warn" to go on when Twilio cannot be reached, or to "off"';

function secretField(auth: TwilioAuth): "authToken" | "apiKeySecret" {
  return "authToken" in auth ? "authToken" : "apiKeySecret";
}

/** A memo key for a secret, kept in this process only. */
function digest(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

function authKey(auth: TwilioAuth): string {
  return "authToken" in auth
    ? `${auth.accountSid}/token/${digest(auth.authToken)}`
    : `${auth.accountSid}/${auth.apiKeySid}/${digest(auth.apiKeySecret)}`;
}

/**
 * Read-only checks of Twilio credentials. Each distinct question (this account with this secret,
 * this service, this number) is asked once per provider process, however many resources share it:
 * a preview of twenty channels on two accounts asks Twilio about two accounts.
 */
export class TwilioValidator {
  private readonly memo = new Map<string, Promise<Outcome<unknown>>>();
  private readonly clients = new Map<string, TwilioRest>();

  constructor(private readonly http: TwilioHttpClient) {}

  private once<T>(key: string, call: () => Promise<T>): Promise<Outcome<T>> {
    let p = this.memo.get(key) as Promise<Outcome<T>> | undefined;
    if (!p) {
      p = call().then(
        (value): Outcome<T> => ({ ok: true, value }),
        (e: unknown): Outcome<T> => ({ ok: false, failure: classifyTwilioError(e) }),
      );
      this.memo.set(key, p as Promise<Outcome<unknown>>);
    }
    return p;
  }

  /** One client per credential for the life of the process (keyed like the memo: a new secret is a new client). */
  client(auth: TwilioAuth, key: string = authKey(auth)): TwilioRest {
    let c = this.clients.get(key);
    if (!c) {
      c = new TwilioRest(auth, this.http);
      this.clients.set(key, c);
    }
    return c;
  }

  async checkSmsCredential(c: SmsCredentialToCheck): Promise<ValidationReport> {
    const failures: CheckFailure[] = [];
    const key = authKey(c.auth);
    const client = this.client(c.auth, key);
    const account = await this.once(`account:${key}`, () => fetchAccount(client));
    const validatedAt = new Date().toISOString();
    if (!account.ok) {
      failures.push(this.accountFailure(c.auth, account.failure));
      return { failures, validatedAt };
    }
    const facts = account.value;
    if (facts.status !== undefined && facts.status !== "active") {
      failures.push({
        property: "accountSid",
        reason: `Twilio account ${c.auth.accountSid} is ${facts.status}, not active: Twilio sends nothing from it`,
      });
    }
    // The service and the inbound number are independent questions, asked together once the account
    // answers: a preview waits for two round trips to Twilio after the account's, not three. Every
    // resource that refers to this credential waits for its check (issue 13).
    const serviceSid = c.messagingServiceSid;
    const inboundNumber = c.inboundNumber;
    const servicePending = serviceSid
      ? this.once(`service:${key}:${serviceSid}`, () => fetchServiceNumbers(client, serviceSid))
      : undefined;
    const ownedPending = inboundNumber
      ? this.once(`number:${key}:${inboundNumber}`, () => accountHasNumber(client, inboundNumber))
      : undefined;
    let servicePhoneNumbers: string[] | undefined;
    if (serviceSid && servicePending) {
      const sid = serviceSid;
      const service = await servicePending;
      if (!service.ok) {
        failures.push(
          this.lookupFailure("messagingServiceSid", `Messaging Service ${sid}`, c.auth, service.failure),
        );
      } else {
        servicePhoneNumbers = service.value;
        if (c.requireRcsSender) {
          const senders = await this.once(`senders:${key}:${sid}`, () => client.serviceChannelSenders(sid));
          if (!senders.ok) {
            failures.push(
              this.lookupFailure("messagingServiceSid", `the senders of ${sid}`, c.auth, senders.failure),
            );
          } else if (!senders.value.some((s) => s.toLowerCase().startsWith("rcs:"))) {
            failures.push({
              property: "messagingServiceSid",
              reason: `Messaging Service ${sid} has no RCS sender (rcs:…) in its sender pool${senders.value.length ? ` (it has ${senders.value.join(", ")})` : ""}; add an RCS sender to the service in the Twilio console, or name a service that has one`,
            });
          }
        }
      }
    }
    if (inboundNumber && ownedPending) {
      const number = inboundNumber;
      const owned = await ownedPending;
      if (!owned.ok) {
        failures.push(this.lookupFailure("inboundNumber", `number ${number}`, c.auth, owned.failure));
      } else if (!owned.value && !(servicePhoneNumbers ?? []).includes(number)) {
        failures.push({
          property: "inboundNumber",
          reason: `${number} is not an incoming number of account ${c.auth.accountSid}${c.messagingServiceSid ? ` nor a sender of Messaging Service ${c.messagingServiceSid}` : ""}`,
        });
      }
    }
    return { failures, account: facts, validatedAt };
  }

  /** The numbers a twilio-sms credential may send from: its inbound number and its service's numbers. */
  async senderNumbers(auth: TwilioAuth, messagingServiceSid: string | undefined): Promise<Outcome<string[]>> {
    if (!messagingServiceSid) return { ok: true, value: [] };
    return this.once(`service:${authKey(auth)}:${messagingServiceSid}`, () =>
      fetchServiceNumbers(this.client(auth), messagingServiceSid),
    );
  }

  private accountFailure(auth: TwilioAuth, f: TwilioFailure): CheckFailure {
    switch (f.kind) {
      case "auth":
        return {
          property: secretField(auth),
          reason: `Twilio rejected the credentials of account ${auth.accountSid}: ${describeTwilioFailure(f)}. Check the ${secretField(auth) === "authToken" ? "auth token" : "API key SID and secret"} in the Twilio console`,
        };
      case "not-found":
        return {
          property: "accountSid",
          reason: `Twilio has no account ${auth.accountSid}: ${describeTwilioFailure(f)}`,
        };
      case "rate-limited":
      case "unavailable":
      case "unreachable":
      case "rejected":
        return {
          property: "accountSid",
          reason: `could not validate account ${auth.accountSid} with Twilio: ${describeTwilioFailure(f)}; ${OFFLINE_ADVICE}`,
        };
    }
  }

  private lookupFailure(property: string, what: string, auth: TwilioAuth, f: TwilioFailure): CheckFailure {
    if (f.kind === "not-found") {
      return {
        property,
        reason: `${what} does not exist in Twilio account ${auth.accountSid}: ${describeTwilioFailure(f)}`,
      };
    }
    return {
      property,
      reason: `could not check ${what} with Twilio: ${describeTwilioFailure(f)}; ${OFFLINE_ADVICE}`,
    };
  }
}

async function fetchAccount(client: TwilioRest): Promise<AccountFacts> {
  const facts = (a: AccountResource): AccountFacts => ({
    ...(a.friendly_name !== undefined ? { friendlyName: a.friendly_name } : {}),
    ...(a.type !== undefined ? { type: a.type } : {}),
    ...(a.status !== undefined ? { status: a.status } : {}),
  });
  if ("authToken" in client.auth) return facts(await client.fetchAccount());
  // A Standard API key may not read the Account resource; listing one incoming number is a call
  // every key may make, and it proves the key belongs to this account.
  await client.incomingNumbers({ pageSize: 1 });
  try {
    return facts(await client.fetchAccount());
  } catch (e) {
    if (classifyTwilioError(e).kind === "auth") return {};
    throw e;
  }
}

/** The service's phone numbers; the service's own answer decides the failure (a 404 names the service). */
async function fetchServiceNumbers(client: TwilioRest, sid: string): Promise<string[]> {
  const [service, numbers] = await Promise.allSettled([
    client.fetchService(sid),
    client.servicePhoneNumbers(sid),
  ]);
  if (service.status === "rejected") throw service.reason;
  if (numbers.status === "rejected") throw numbers.reason;
  return numbers.value;
}

async function accountHasNumber(client: TwilioRest, phoneNumber: string): Promise<boolean> {
  const numbers = await client.incomingNumbers({ phoneNumber, pageSize: 1 });
  return numbers.includes(phoneNumber);
}
