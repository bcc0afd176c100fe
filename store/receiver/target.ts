import { aadFor } from "../keys";
import type { SecretOpener } from "../crypto";
import { keywordsOf, type WebhookKeywords } from "./keywords";
import type { CheckedAgainst, TargetRow } from "./ledger";
import { VERIFICATION_TYPES, type CustomVerification, type VerificationType } from "./signature";

/**
 * A webhook as the receiver answers for it, read from the webhook record and its credential (the
 * record format agreed with the provider: see PROTOCOL.md). Secrets are opened here and live only
 * in memory, for the one delivery.
 */
export interface WebhookTarget {
  readonly id: string;
  readonly sandbox: string;
  readonly type: "inbound" | "feedback";
  readonly vendor: "twilio" | "custom";
  readonly credentialId: string;
  /** The versions read: the ledger writes a delivery only while they are still current. */
  readonly checked: CheckedAgainst;
  readonly senderNumber?: string;
  readonly keywords: WebhookKeywords;
  readonly defaultReply?: string;
  /** Field → dotted path into a custom vendor's JSON. */
  readonly payloadMapping: Readonly<Record<string, string>>;
  /** Twilio: the key of X-Twilio-Signature (webhook's twilioAuthToken, else the credential's authToken). */
  readonly twilioAuthToken?: string;
  /** Custom vendors: how a delivery proves it is theirs (secret fields included). */
  readonly verification?: CustomVerification;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function isVerificationType(v: unknown): v is VerificationType {
  return typeof v === "string" && (VERIFICATION_TYPES as readonly string[]).includes(v);
}

/**
 * The target, or undefined when there is nothing to answer for: no such record, not a webhook, in
 * another sandbox, or its credential gone. The caller answers each of these the same way.
 */
export function resolveTarget(
  sandbox: string,
  rows: { webhook?: TargetRow; credential?: TargetRow },
  keyring: SecretOpener,
): WebhookTarget | undefined {
  const { webhook, credential } = rows;
  if (!webhook || webhook.kind !== "webhook" || webhook.sandbox !== sandbox) return undefined;
  if (!credential || credential.kind !== "api-credential" || credential.sandbox !== sandbox) return undefined;
  const data = webhook.data;
  const secret = webhook.secret ? keyring.open(webhook.secret, aadFor(webhook)) : {};
  const vendor = credential.credentialType === "custom-rcs" ? "custom" : "twilio";
  const base = {
    id: webhook.id,
    sandbox,
    type: data["type"] === "feedback" ? ("feedback" as const) : ("inbound" as const),
    vendor: vendor as WebhookTarget["vendor"],
    credentialId: credential.id,
    checked: {
      webhookVersion: webhook.version,
      credentialId: credential.id,
      credentialVersion: credential.version,
    },
    keywords: keywordsOf(data["resolvedKeywords"]),
    payloadMapping: mappingOf(data["payloadMapping"]),
  };
  const senderNumber = str(data["senderNumber"]);
  const defaultReply = str(data["defaultReply"]);
  const extra: { -readonly [K in keyof WebhookTarget]?: WebhookTarget[K] } = {};
  if (senderNumber) extra.senderNumber = senderNumber;
  if (defaultReply) extra.defaultReply = defaultReply;
  if (vendor === "twilio") {
    const own = str(secret["twilioAuthToken"]);
    const token =
      own ??
      (credential.secret ? str(keyring.open(credential.secret, aadFor(credential))["authToken"]) : undefined);
    if (token) extra.twilioAuthToken = token;
  } else {
    const declared = data["verification"] as Record<string, unknown> | undefined;
    const given = (secret["verification"] ?? {}) as Record<string, unknown>;
    if (declared && isVerificationType(declared["type"])) {
      extra.verification = {
        type: declared["type"],
        ...(str(declared["header"]) ? { header: str(declared["header"]) as string } : {}),
        ...(str(given["username"]) !== undefined ? { username: given["username"] as string } : {}),
        ...(typeof given["password"] === "string" ? { password: given["password"] } : {}),
        ...(str(given["token"]) ? { token: given["token"] as string } : {}),
        ...(str(given["secret"]) ? { secret: given["secret"] as string } : {}),
      };
    }
  }
  return { ...base, ...extra };
}

function mappingOf(v: unknown): Record<string, string> {
  if (typeof v !== "object" || v === null) return {};
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === "string",
    ),
  );
}
