import { createHash } from "node:crypto";
import { E164, SHORT_CODE } from "../../contract/formats";
import { twilioSignedParams } from "./signature";

/**
 * What a delivery says, from Twilio's form or a custom vendor's JSON (through the webhook's
 * payloadMapping). A delivery missing what it must say is a BadDelivery (400): it is refused
 * after its signature was checked, so a forger learns nothing from the difference.
 */
export class BadDelivery extends Error {
  override readonly name = "BadDelivery";
}

export interface InboundFields {
  readonly messageId: string;
  readonly dedupeKey: string;
  readonly from: string;
  /** Our number; undefined when the payload does not say (the webhook's senderNumber is used). */
  readonly to?: string;
  readonly body: string;
  /** Twilio's Advanced Opt-Out already handled a keyword (STOP, START, HELP). */
  readonly optOutType?: string;
}

export interface StatusFields {
  readonly messageId: string;
  readonly dedupeKey: string;
  readonly status: string;
  readonly errorCode?: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function text(raw: Buffer): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw new BadDelivery("the body is not UTF-8 text");
  }
}

/** Twilio's form parameters, in order, for the signature and for reading. */
export function parseForm(raw: Buffer, contentType: string | undefined): [string, string][] {
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType ?? "")) {
    throw new BadDelivery("Twilio deliveries are application/x-www-form-urlencoded");
  }
  return [...new URLSearchParams(text(raw))];
}

function first(params: readonly [string, string][], ...names: string[]): string | undefined {
  for (const n of names) {
    const hit = params.find(([k]) => k === n);
    if (hit && hit[1] !== "") return hit[1];
  }
  return undefined;
}

function need(value: string | undefined, what: string): string {
  if (value === undefined) throw new BadDelivery(`the delivery has no ${what}`);
  return value;
}

/*
 * Twilio's signature covers the URL then every parameter as name + value with no separator, so a
 * captured request can be re-split: a boundary moved between adjacent parameters (`MessageSid` =
 * `SM…MessagingServiceSidMG…`, `MessagingServiceSid` dropped) keeps the signature. So every field
 * the receiver reads is checked strictly, and so is every SID around them, before anything is done.
 *
 * Why that is enough for a request as Twilio made it: each checked value is a fixed-length SID, a word
 * of a fixed set none of which starts another, or text of digits, `+`, `:` and lowercase letters,
 * while every parameter name Twilio sends starts with an uppercase letter. A checked value can then
 * neither swallow the name after it nor stop short of its end (the rest would have to be a name
 * starting with a digit or a lowercase letter, which sorts before or after every Twilio name, so out
 * of place in the sorted string). What is
 * left to move is unchecked text (ApiVersion, SmsStatus, the geo fields...), whose re-split only drops
 * or renames a field the receiver does not read; a dropped required field is refused. A field read
 * twice could be chosen by the order of the form, so repeats are refused too. The dedupe key
 * (MessageSid, and the status for callbacks), the consent number (From, To), the keyword (Body,
 * OptOutType) and the status are thus exactly those Twilio signed, and a replay is a repeat.
 *
 * One thing moves that no format check pins: text the texter wrote (Body) sits before From in the
 * signed string, so whoever sends a crafted text and captures its signed delivery can re-split their
 * Body into a From, MessageSid and To of their choosing (the real ones then hidden in the value of a
 * parameter the receiver does not read). The real MessageSid is still in the signed string, and the
 * texter could not know it when writing the text (Twilio makes it on receipt): so every SID the signed
 * string gives after `MessageSid` or `SmsSid` must be the MessageSid read. A re-split then keeps the
 * real MessageSid, the dedupe key of the delivery Twilio made, and is a repeat of it once that has come.
 * (A real text that writes "MessageSid" and a SID is refused too; only such an attack writes one.)
 */

const SID: FieldRule = {
  format: /^(?:SM|MM)[0-9a-f]{32}$/,
  reason: "expected SM or MM followed by 32 hex digits",
};
const ACCOUNT_SID: FieldRule = {
  format: /^AC[0-9a-f]{32}$/,
  reason: "expected AC followed by 32 hex digits",
};
const SERVICE_SID: FieldRule = {
  format: /^MG[0-9a-f]{32}$/,
  reason: "expected MG followed by 32 hex digits",
};
// The contract's number formats, within the patterns below. Its SID formats are not used: they take
// upper-case hex too, and the argument above needs values with no upper-case letter.
const e164 = E164.source.replace(/^\^|\$$/g, "");
const shortCode = SHORT_CODE.source.replace(/^\^|\$$/g, "");
/** The texter: an E.164 number, bare or after a channel prefix (`whatsapp:+1…`, `rcs:+1…`). */
const PROFILE: FieldRule = {
  format: new RegExp(`^(?:(?:rcs|whatsapp|messenger):)?${e164}$`),
  reason: "expected an E.164 number (+14155550100), bare or after a channel prefix (rcs:, whatsapp:)",
};
/** Our side: an E.164 number, a short code, or a channel address (`rcs:acme_agent`, `whatsapp:+1…`). */
const OURS: FieldRule = {
  format: new RegExp(`^(?:${e164}|${shortCode}|(?:rcs|whatsapp|messenger):(?:${e164}|[a-z0-9_]+))$`),
  reason: "expected an E.164 number (+14155550100), a short code or a channel address (rcs:…, whatsapp:+…)",
};
/** Twilio's message statuses (https://www.twilio.com/docs/messaging/api/message-resource#message-status-values). */
export const TWILIO_MESSAGE_STATUSES: readonly string[] = [
  "accepted",
  "scheduled",
  "canceled",
  "queued",
  "sending",
  "sent",
  "failed",
  "delivered",
  "undelivered",
  "receiving",
  "received",
  "read",
  "partially_delivered",
];

interface FieldRule {
  readonly format: RegExp;
  readonly reason: string;
  /** Present but empty reads as absent (as `first` does), for optional fields only. */
  readonly emptyIsAbsent?: boolean;
}

const COMMON: Readonly<Record<string, FieldRule>> = {
  MessageSid: SID,
  SmsSid: SID,
  SmsMessageSid: SID,
  AccountSid: ACCOUNT_SID,
  MessagingServiceSid: SERVICE_SID,
};

const INBOUND: Readonly<Record<string, FieldRule>> = {
  ...COMMON,
  From: PROFILE,
  To: OURS,
  OptOutType: {
    format: /^(?:STOP|START|HELP)$/,
    reason: "expected STOP, START or HELP",
    emptyIsAbsent: true,
  },
};

/** From and To of a status callback are not read (our sender there may be an alphanumeric ID). */
const STATUS: Readonly<Record<string, FieldRule>> = {
  ...COMMON,
  MessageStatus: {
    format: new RegExp(`^(?:${TWILIO_MESSAGE_STATUSES.join("|")})$`),
    reason: `expected one of ${TWILIO_MESSAGE_STATUSES.join(", ")}`,
  },
  ErrorCode: { format: /^\d{1,10}$/, reason: "expected a numeric Twilio error code", emptyIsAbsent: true },
};

/** Every ruled field present matches its rule and comes once; the `required` ones are there. */
function checkTwilio(
  params: readonly [string, string][],
  rules: Readonly<Record<string, FieldRule>>,
  required: readonly string[],
): void {
  const seen = new Map<string, string>();
  for (const [name, value] of params) {
    const rule = rules[name];
    if (!rule) continue;
    if (seen.has(name)) throw new BadDelivery(`${name}: given more than once`);
    seen.set(name, value);
    if (value === "" && rule.emptyIsAbsent) continue;
    if (!rule.format.test(value)) throw new BadDelivery(`${name}: ${rule.reason}`);
  }
  for (const name of required) {
    if (!seen.has(name)) throw new BadDelivery(`${name}: missing`);
  }
  const messageSid = seen.get("MessageSid");
  // SmsSid and SmsMessageSid are older names of MessageSid: they name the same message or none.
  for (const alias of ["SmsSid", "SmsMessageSid"]) {
    const v = seen.get(alias);
    if (v !== undefined && v !== messageSid) {
      throw new BadDelivery(`${alias}: not the same message as MessageSid`);
    }
  }
  // The texter could not write the real MessageSid into the text (see above).
  for (const m of twilioSignedParams(params).matchAll(/(?:MessageSid|SmsSid)((?:SM|MM)[0-9a-f]{32})/g)) {
    if (m[1] !== messageSid)
      throw new BadDelivery("MessageSid: the signed parameters name another message too");
  }
}

export function twilioInbound(params: readonly [string, string][]): InboundFields {
  checkTwilio(params, INBOUND, ["MessageSid", "AccountSid", "From", "To"]);
  const messageId = need(first(params, "MessageSid"), "MessageSid");
  const to = first(params, "To");
  const optOutType = first(params, "OptOutType");
  return {
    messageId,
    dedupeKey: messageId,
    from: need(first(params, "From"), "From"),
    ...(to !== undefined ? { to } : {}),
    body: first(params, "Body") ?? "",
    ...(optOutType !== undefined ? { optOutType } : {}),
  };
}

export function twilioStatus(params: readonly [string, string][]): StatusFields {
  checkTwilio(params, STATUS, ["MessageSid", "AccountSid", "MessageStatus"]);
  const messageId = need(first(params, "MessageSid"), "MessageSid");
  const status = need(first(params, "MessageStatus"), "MessageStatus");
  const errorCode = first(params, "ErrorCode");
  return {
    messageId,
    dedupeKey: `${messageId}:${status}`,
    status,
    ...(errorCode !== undefined ? { errorCode } : {}),
  };
}

/** A custom vendor's JSON body: an object, or a BadDelivery. */
export function parseJson(raw: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text(raw));
  } catch (e) {
    if (e instanceof BadDelivery) throw e;
    throw new BadDelivery("the body is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadDelivery("the body is not a JSON object");
  }
  return value as Record<string, unknown>;
}

/** `message.text`, `items[0].from`: the value at a dotted path, or undefined. */
export function valueAt(root: unknown, path: string): unknown {
  let v: unknown = root;
  for (const part of path.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (v === null || typeof v !== "object") return undefined;
    const key = part.startsWith("[") ? Number(part.slice(1, -1)) : part;
    if (typeof key === "number" && !Array.isArray(v)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(v, key)) return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** A mapped field as text (strings and numbers; a vendor may send codes as numbers). */
function mapped(
  body: Record<string, unknown>,
  mapping: Readonly<Record<string, string>>,
  field: string,
  required: boolean,
): string | undefined {
  // Without a mapping for it, a field is looked up under its own name.
  const path = mapping[field] ?? field;
  const v = valueAt(body, path);
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (required) throw new BadDelivery(`the payload has no ${field} at "${path}" (payloadMapping.${field})`);
  return undefined;
}

/** Without a mapped requestId, a repeat is recognised by its body: the same bytes, the same delivery. */
function bodyKey(raw: Buffer): string {
  return `sha256:${createHash("sha256").update(raw).digest("hex")}`;
}

export function customInbound(
  body: Record<string, unknown>,
  raw: Buffer,
  mapping: Readonly<Record<string, string>>,
): InboundFields {
  const requestId = mapped(body, mapping, "requestId", false);
  const to = mapped(body, mapping, "inboundNumber", false);
  const messageId = requestId ?? bodyKey(raw);
  return {
    messageId,
    dedupeKey: messageId,
    from: mapped(body, mapping, "profileNumber", true) as string,
    ...(to !== undefined ? { to } : {}),
    body: mapped(body, mapping, "inboundMessage", true) as string,
  };
}

export function customStatus(
  body: Record<string, unknown>,
  mapping: Readonly<Record<string, string>>,
): StatusFields {
  const messageId = mapped(body, mapping, "clientReference", true) as string;
  const status = (mapped(body, mapping, "status", true) as string).toLowerCase();
  const errorCode = mapped(body, mapping, "code", false);
  return {
    messageId,
    dedupeKey: `${messageId}:${status}${errorCode !== undefined ? `:${errorCode}` : ""}`,
    status,
    ...(errorCode !== undefined ? { errorCode } : {}),
  };
}
