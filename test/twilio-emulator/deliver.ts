import { createHmac } from "node:crypto";
import { isE164 } from "./format";
import { newSid } from "./ids";
import type { EmulatorState, SentMessage } from "./state";

/**
 * Twilio's side of webhooks: the emulator POSTs what Twilio would, signed as Twilio signs, to the
 * URLs the provider configured on a Messaging Service, and records what the webhook answered.
 *
 * Inbound: a message from a profile number to one of the account's numbers goes to the number's
 * service's `inboundRequestUrl`. Status: a callback for a message the emulator accepted goes to the
 * message's `StatusCallback`, else to its service's `statusCallback`.
 */

/**
 * `X-Twilio-Signature`: base64 HMAC-SHA1, keyed with the account's auth token, over the full URL the
 * request was sent to followed by every POST parameter, sorted by name, as name then value.
 * (https://www.twilio.com/docs/usage/security#validating-requests)
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: Readonly<Record<string, string>>,
): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/** Advanced Opt-Out's default keywords (Twilio handles these itself and tells the webhook with `OptOutType`). */
const ADVANCED_OPT_OUT: Readonly<Record<string, "STOP" | "START" | "HELP">> = {
  STOP: "STOP",
  STOPALL: "STOP",
  UNSUBSCRIBE: "STOP",
  CANCEL: "STOP",
  END: "STOP",
  QUIT: "STOP",
  START: "START",
  YES: "START",
  UNSTOP: "START",
  HELP: "HELP",
  INFO: "HELP",
};

export type OptOutType = "STOP" | "START" | "HELP";

/** How the request is signed: right (the account's token), with another token, a given value, or not at all. */
export type Signing =
  | { readonly kind: "account" }
  | { readonly kind: "token"; readonly authToken: string }
  | { readonly kind: "value"; readonly signature: string }
  | { readonly kind: "none" };

export interface InboundDelivery {
  /** The profile number that sends (Twilio's `From`). */
  readonly from: string;
  /** The account's number that receives (Twilio's `To`); its Messaging Service says where to POST. */
  readonly to: string;
  readonly body: string;
  /**
   * Twilio's `OptOutType`. `"auto"` (the default): set when the service has Advanced Opt-Out on and
   * the body is one of its keywords; `null`: never set.
   */
  readonly optOutType?: OptOutType | "auto" | null | undefined;
  readonly signing?: Signing | undefined;
  /** Send to this URL instead of the service's (a signature for another URL, say). */
  readonly url?: string | undefined;
  /** The same `MessageSid` again: Twilio retrying a delivery. */
  readonly messageSid?: string | undefined;
}

export interface StatusDelivery {
  /** A message the emulator accepted (CreateMessage). */
  readonly messageSid: string;
  /** `MessageStatus`: queued, sent, delivered, undelivered, failed, read, … */
  readonly status: string;
  readonly errorCode?: string | number | undefined;
  readonly signing?: Signing | undefined;
  readonly url?: string | undefined;
}

/** What the emulator sent and what came back. */
export interface Delivery {
  readonly kind: "inbound" | "status";
  readonly at: string;
  readonly url: string;
  readonly params: Readonly<Record<string, string>>;
  /** The `X-Twilio-Signature` sent, if any. */
  readonly signature: string | null;
  /** The answer; `status` 0 when there was none (refused, reset, timed out), with `error`. */
  readonly response: {
    readonly status: number;
    readonly contentType: string | null;
    readonly body: string;
    readonly error?: string;
  };
  readonly ms: number;
}

/** Twilio waits 15 s for a webhook. */
const WEBHOOK_TIMEOUT_MS = 15_000;
const MAX_RECORDED_BODY = 64 * 1024;

export class Deliverer {
  private readonly log: Delivery[] = [];

  constructor(private readonly state: EmulatorState) {}

  get deliveries(): ReadonlyArray<Delivery> {
    return [...this.log];
  }

  clear(): void {
    this.log.length = 0;
  }

  /** Receives a message on one of the account's numbers and POSTs it to its service's inbound URL. */
  async inbound(d: InboundDelivery): Promise<Delivery> {
    if (!isE164(d.from)) throw new Error(`inbound: from must be an E.164 number: ${d.from}`);
    const number = this.state.findNumber(d.to);
    if (!number) throw new Error(`inbound: ${d.to} is not a number of any emulated account`);
    const service = number.serviceSid ? this.state.services.get(number.serviceSid) : undefined;
    const url = d.url ?? service?.inboundRequestUrl ?? null;
    if (!url) throw new Error(`inbound: ${d.to} is in no Messaging Service with an inbound request URL`);
    const sid = d.messageSid ?? newSid("SM");
    const optOut =
      d.optOutType === null
        ? undefined
        : d.optOutType === undefined || d.optOutType === "auto"
          ? service?.advancedOptOut
            ? ADVANCED_OPT_OUT[d.body.trim().toUpperCase()]
            : undefined
          : d.optOutType;
    const params: Record<string, string> = {
      ToCountry: "US",
      SmsMessageSid: sid,
      NumMedia: "0",
      SmsSid: sid,
      SmsStatus: "received",
      Body: d.body,
      To: d.to,
      NumSegments: "1",
      MessageSid: sid,
      AccountSid: number.accountSid,
      From: d.from,
      ApiVersion: "2010-04-01",
      ...(service ? { MessagingServiceSid: service.sid } : {}),
      ...(optOut ? { OptOutType: optOut } : {}),
    };
    return this.post("inbound", url, params, number.accountSid, d.signing);
  }

  /** Posts a status callback for a message the emulator accepted. */
  async status(d: StatusDelivery): Promise<Delivery> {
    const message = this.state.messages.find((m) => m.sid === d.messageSid);
    if (!message) throw new Error(`status: no message ${d.messageSid}`);
    const url = d.url ?? statusCallbackOf(this.state, message);
    if (!url) throw new Error(`status: message ${d.messageSid} has no StatusCallback and its service none`);
    const params: Record<string, string> = {
      SmsSid: message.sid,
      SmsStatus: d.status,
      MessageStatus: d.status,
      To: message.to,
      MessageSid: message.sid,
      AccountSid: message.accountSid,
      ApiVersion: "2010-04-01",
      ...(message.from ? { From: message.from } : {}),
      ...(message.messagingServiceSid ? { MessagingServiceSid: message.messagingServiceSid } : {}),
      ...(d.errorCode !== undefined ? { ErrorCode: String(d.errorCode) } : {}),
    };
    return this.post("status", url, params, message.accountSid, d.signing);
  }

  private async post(
    kind: Delivery["kind"],
    url: string,
    params: Record<string, string>,
    accountSid: string,
    signing: Signing = { kind: "account" },
  ): Promise<Delivery> {
    let signature: string | null;
    switch (signing.kind) {
      case "account": {
        const account = this.state.accounts.get(accountSid);
        if (!account) throw new Error(`no emulated account ${accountSid}`);
        signature = twilioSignature(account.authToken, url, params);
        break;
      }
      case "token":
        signature = twilioSignature(signing.authToken, url, params);
        break;
      case "value":
        signature = signing.signature;
        break;
      case "none":
        signature = null;
        break;
    }
    const started = Date.now();
    const at = new Date(started).toISOString();
    let response: Delivery["response"];
    try {
      const res = await fetch(url, {
        method: "POST",
        redirect: "manual",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
          "User-Agent": "TwilioProxy/1.1",
          Accept: "*/*",
          "I-Twilio-Idempotency-Token": newSid("RQ").slice(2),
          ...(signature !== null ? { "X-Twilio-Signature": signature } : {}),
        },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      const text = await res.text();
      response = {
        status: res.status,
        contentType: res.headers.get("content-type"),
        body: text.length > MAX_RECORDED_BODY ? text.slice(0, MAX_RECORDED_BODY) : text,
      };
    } catch (e) {
      const cause = (e as { cause?: { code?: unknown } }).cause;
      response = {
        status: 0,
        contentType: null,
        body: "",
        error: typeof cause?.code === "string" ? cause.code : e instanceof Error ? e.message : String(e),
      };
    }
    const delivery: Delivery = { kind, at, url, params, signature, response, ms: Date.now() - started };
    this.log.push(delivery);
    return delivery;
  }
}

function statusCallbackOf(state: EmulatorState, m: SentMessage): string | null {
  const own = m.params["StatusCallback"];
  if (own) return own;
  return m.messagingServiceSid ? (state.services.get(m.messagingServiceSid)?.statusCallback ?? null) : null;
}
