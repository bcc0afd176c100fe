import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { decideInbound, decideTwilioOptOutType, type InboundDecision } from "./keywords";
import type { InboundDelivery, ReceiverLedger } from "./ledger";
import {
  BadDelivery,
  customInbound,
  customStatus,
  parseForm,
  parseJson,
  twilioInbound,
  twilioStatus,
  type InboundFields,
  type StatusFields,
} from "./payload";
import { verifyCustom, verifyTwilio } from "./signature";
import { statusRank } from "./status";
import type { WebhookTarget } from "./target";
import { twiml } from "./twiml";

export interface Delivery {
  /** The URL the sender called, as it knows it: --public-url and the request's path (and query). */
  readonly publicUrl: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
}

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** For the log: what the delivery was, never what it said. */
  readonly outcome: string;
}

const XML = "text/xml; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

export const FORBIDDEN: Answer = {
  status: 403,
  contentType: JSON_TYPE,
  body: JSON.stringify({ error: { code: "FORBIDDEN", message: "the delivery's signature does not verify" } }),
  outcome: "forbidden",
};

/**
 * The webhook or its credential changed or went away after it was read: nothing was written. The
 * server reads the webhook again and answers from that; 503 (Twilio retries) only if it changed again.
 */
export const STALE: Answer = {
  status: 503,
  contentType: JSON_TYPE,
  body: JSON.stringify({ error: { code: "UNAVAILABLE", message: "the webhook changed; try again" } }),
  outcome: "stale webhook",
};

/**
 * One delivery to a known webhook: authenticity first (nothing read into the ledger before), then
 * what it says, then the ledger (committed before the answer), then the answer. A repeat gets the
 * first answer again.
 */
export async function deliver(
  target: WebhookTarget,
  delivery: Delivery,
  ledger: ReceiverLedger,
  now: () => Date = () => new Date(),
): Promise<Answer> {
  const at = now().toISOString();
  if (target.vendor === "twilio") {
    const params = parseForm(delivery.raw, delivery.headers["content-type"]);
    const signature = delivery.headers["x-twilio-signature"];
    if (
      !target.twilioAuthToken ||
      !verifyTwilio(target.twilioAuthToken, delivery.publicUrl, params, first(signature))
    ) {
      return FORBIDDEN;
    }
    if (target.type === "feedback") {
      const r = await recordStatus(target, twilioStatus(params), ledger, at);
      return typeof r !== "string"
        ? r
        : { status: 200, contentType: XML, body: twiml(undefined), outcome: r };
    }
    const fields = twilioInbound(params);
    // Twilio's Advanced Opt-Out answered the keyword itself: record it, and no second reply.
    const decision = fields.optOutType
      ? decideTwilioOptOutType(fields.optOutType, fields.body)
      : decideInbound(fields.body, target.keywords, target.defaultReply);
    const d = inboundDelivery(target, fields, decision, at);
    const r = await ledger.recordInbound(d);
    if (r.stale) return STALE;
    return {
      status: 200,
      contentType: XML,
      body: twiml(r.reply),
      outcome: `${r.duplicate ? "repeat " : ""}inbound ${decision.category}`,
    };
  }
  if (!target.verification || !verifyCustom(target.verification, delivery.headers, delivery.raw)) {
    return FORBIDDEN;
  }
  const body = parseJson(delivery.raw);
  if (target.type === "feedback") {
    const r = await recordStatus(target, customStatus(body, target.payloadMapping), ledger, at);
    return typeof r !== "string"
      ? r
      : { status: 200, contentType: JSON_TYPE, body: '{"status":"ok"}', outcome: r };
  }
  const fields = customInbound(body, delivery.raw, target.payloadMapping);
  const decision = decideInbound(fields.body, target.keywords, target.defaultReply);
  const d = inboundDelivery(target, fields, decision, at);
  // The reply goes out through the vendor's own API, from the outbox, once this commits.
  const withOutbox: InboundDelivery =
    d.reply !== undefined
      ? {
          ...d,
          outbox: {
            id: `rpl_${randomUUID().replace(/-/g, "")}`,
            credentialId: target.credentialId,
            to: d.profileNumber,
            from: d.sender,
            body: d.reply,
          },
        }
      : d;
  const r = await ledger.recordInbound(withOutbox);
  if (r.stale) return STALE;
  return {
    status: 200,
    contentType: JSON_TYPE,
    body: '{"status":"ok"}',
    outcome: `${r.duplicate ? "repeat " : ""}inbound ${decision.category}`,
  };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function inboundDelivery(
  target: WebhookTarget,
  fields: InboundFields,
  decision: InboundDecision,
  at: string,
): InboundDelivery {
  const sender = fields.to ?? target.senderNumber;
  if (sender === undefined) {
    // Consent is kept per sender: a delivery that does not say which of our numbers it reached,
    // to a webhook that names none, cannot be recorded.
    throw new BadDelivery(
      "the delivery does not say which number it reached (inboundNumber), and the webhook has no senderNumber",
    );
  }
  return {
    sandbox: target.sandbox,
    webhookId: target.id,
    checked: target.checked,
    dedupeKey: fields.dedupeKey,
    messageId: fields.messageId,
    profileNumber: fields.from,
    sender,
    category: decision.category,
    at,
    ...(decision.keyword !== undefined ? { keyword: decision.keyword } : {}),
    ...(decision.consent !== undefined ? { consent: decision.consent } : {}),
    ...(decision.reply !== undefined ? { reply: decision.reply } : {}),
  };
}

async function recordStatus(
  target: WebhookTarget,
  fields: StatusFields,
  ledger: ReceiverLedger,
  at: string,
): Promise<string | typeof STALE> {
  const r = await ledger.recordStatus({
    sandbox: target.sandbox,
    webhookId: target.id,
    checked: target.checked,
    dedupeKey: fields.dedupeKey,
    messageId: fields.messageId,
    status: fields.status,
    rank: statusRank(fields.status),
    at,
    ...(fields.errorCode !== undefined ? { errorCode: fields.errorCode } : {}),
  });
  if (r.stale) return STALE;
  return `${r.duplicate ? "repeat " : ""}status ${fields.status}`;
}
