import { createHash } from "node:crypto";

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

export function twilioInbound(params: readonly [string, string][]): InboundFields {
  const messageId = need(first(params, "MessageSid", "SmsMessageSid", "SmsSid"), "MessageSid");
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
  const messageId = need(first(params, "MessageSid", "SmsSid"), "MessageSid");
  const status = need(first(params, "MessageStatus", "SmsStatus"), "MessageStatus").toLowerCase();
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
