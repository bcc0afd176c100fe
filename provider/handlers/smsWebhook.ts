import type { StoredRecord } from "../../store/types";
import type { CheckFailure } from "../schema/check";
import { resolveKeywords } from "../schema/keywords";
import { smsWebhookInputs, type SmsWebhookInputs } from "../schema/smsWebhook";
import { serviceUrl, setServiceUrl, type ServiceUrlField } from "../twilio/services";
import { anyUnknown, fields, InputError, pick, type Inputs } from "./common";
import { context } from "./context";
import { missingCredential, storedCredential, twilioAuthOfStored } from "./credentials";
import { recordHandlers } from "./record";

const TYPE = "SmsWebhook";
const DATA_FIELDS = [
  "type",
  "apiCredentialId",
  "apiCredentialType",
  "senderNumber",
  "keywords",
  "defaultReply",
  "payloadMapping",
  "attachToMessagingService",
] as const;

const NO_BASE_URL: CheckFailure = {
  property: "smschannels:webhookBaseUrl",
  reason:
    "a webhook needs the public base URL that Twilio and vendors call: set smschannels:webhookBaseUrl (or SMSCHANNELS_WEBHOOK_BASE_URL), or use a shared store service (smschannels:storeUrl)",
};

export function webhookUrl(sandbox: string, id: string): string {
  const base = context().settings.webhookBaseUrl;
  if (!base) throw new InputError(TYPE, [NO_BASE_URL]);
  return `${base}/v1/sandboxes/${encodeURIComponent(sandbox)}/webhooks/${encodeURIComponent(id)}`;
}

function fieldFor(type: SmsWebhookInputs["type"]): ServiceUrlField {
  return type === "inbound" ? "inboundRequestUrl" : "statusCallback";
}

/** The Twilio service a webhook attaches to, with the sign-in of its stored credential. */
async function attachTarget(v: { sandbox: string; apiCredentialId: string }) {
  const credential = await storedCredential(TYPE, v.sandbox, v.apiCredentialId);
  if (!credential) throw new InputError(TYPE, [missingCredential(v.sandbox, v.apiCredentialId)]);
  const serviceSid = credential.data["messagingServiceSid"];
  if (credential.credentialType !== "twilio-sms" || typeof serviceSid !== "string") {
    throw new InputError(TYPE, [
      {
        property: "attachToMessagingService",
        reason: `needs a Twilio SMS credential with a messagingServiceSid; credential "${credential.name}" is ${credential.credentialType}${typeof serviceSid === "string" ? "" : " without a messaging service"}`,
      },
    ]);
  }
  const client = context().validator.client(await twilioAuthOfStored(credential));
  return { client, serviceSid };
}

/**
 * The URL to put back on delete. When the service points at another webhook of ours (this one
 * replaces it: a new sandbox), that webhook's own earlier URL: the replaced one is deleted next and
 * will not restore anything, since the service no longer points at it.
 */
async function originalUrl(current: string | null, serviceSid: string): Promise<string> {
  const base = context().settings.webhookBaseUrl;
  const m =
    base && current?.startsWith(`${base}/v1/sandboxes/`)
      ? /\/v1\/sandboxes\/([^/]+)\/webhooks\/([^/?#]+)$/.exec(current)
      : null;
  if (!m) return current ?? "";
  const store = await context().store();
  const other = await store
    .get(decodeURIComponent(m[1]!), "webhook", decodeURIComponent(m[2]!))
    .catch(() => undefined);
  return other?.data["attachedServiceSid"] === serviceSid &&
    typeof other.data["previousServiceUrl"] === "string"
    ? other.data["previousServiceUrl"]
    : (current ?? "");
}

async function attach(v: SmsWebhookInputs, record: StoredRecord): Promise<Inputs> {
  const { client, serviceSid } = await attachTarget(v);
  const field = fieldFor(v.type);
  const url = webhookUrl(v.sandbox, record.id);
  const current = await serviceUrl(client, serviceSid, field);
  if (current === url)
    return { attachedServiceSid: serviceSid, previousServiceUrl: record.data["previousServiceUrl"] ?? "" };
  const previous = await originalUrl(current, serviceSid);
  // Keep the earlier value in the record first, so delete can put it back even after a crash here.
  const ctx = context();
  const store = await ctx.store();
  const updated = await store.update(
    record.sandbox,
    "webhook",
    record.id,
    record.version,
    { data: { ...record.data, attachedServiceSid: serviceSid, previousServiceUrl: previous } },
    { actor: ctx.actor },
  );
  await setServiceUrl(client, serviceSid, field, url);
  return {
    attachedServiceSid: serviceSid,
    previousServiceUrl: previous,
    recordVersion: updated.version,
  };
}

/** Puts the service's earlier URL back, unless someone pointed it elsewhere since. */
async function detach(props: Inputs, sandbox: string, id: string): Promise<void> {
  const serviceSid = props["attachedServiceSid"];
  if (typeof serviceSid !== "string" || typeof props["apiCredentialId"] !== "string") return;
  const credential = await storedCredential(TYPE, sandbox, props["apiCredentialId"]);
  if (!credential) return;
  const client = context().validator.client(await twilioAuthOfStored(credential));
  const field = fieldFor(props["type"] === "feedback" ? "feedback" : "inbound");
  const url = webhookUrl(sandbox, id);
  if ((await serviceUrl(client, serviceSid, field)) === url) {
    await setServiceUrl(client, serviceSid, field, String(props["previousServiceUrl"] ?? ""));
  }
}

export const smsWebhook = recordHandlers<SmsWebhookInputs>({
  type: TYPE,
  kind: "webhook",
  schema: smsWebhookInputs,
  crossFieldGuard: ["type", "apiCredentialType", "keywords"],
  plainFields: [
    "sandbox",
    "name",
    "type",
    "apiCredentialId",
    "senderNumber",
    "keywords",
    "defaultReply",
    "payloadMapping",
    "attachToMessagingService",
    "validation",
  ],
  // The base URL is a setting, known in every preview; the credential lookup waits for a known id.
  checkNeeds: ["sandbox"],

  async checkKnown(v) {
    const failures: CheckFailure[] = [];
    if (!context().settings.webhookBaseUrl) failures.push(NO_BASE_URL);
    if (!v.apiCredentialType && !anyUnknown(v, ["apiCredentialId", "payloadMapping"])) {
      const type = (await storedCredential(TYPE, v.sandbox, v.apiCredentialId))?.credentialType;
      if (!type) failures.push(missingCredential(v.sandbox, v.apiCredentialId));
      else if (type === "twilio-sms" && v.payloadMapping) {
        failures.push({
          property: "payloadMapping",
          reason: "is for custom vendors (a CustomRcsCredential); Twilio's own payload needs no mapping",
        });
      }
    }
    return failures;
  },

  async prepare(v) {
    if (!context().settings.webhookBaseUrl) throw new InputError(TYPE, [NO_BASE_URL]);
    const credential = await storedCredential(TYPE, v.sandbox, v.apiCredentialId);
    if (!credential) throw new InputError(TYPE, [missingCredential(v.sandbox, v.apiCredentialId)]);
    return {
      data: {
        ...pick(v, DATA_FIELDS),
        apiCredentialType: credential.credentialType,
        // What the messaging runtime answers with: the contract's defaults filled in.
        ...(v.type === "inbound" ? { resolvedKeywords: resolveKeywords(v.keywords) } : {}),
      },
      refs: [{ kind: "api-credential", id: v.apiCredentialId }],
    };
  },

  outputs: (v, record) => ({
    apiCredentialType: record.data["apiCredentialType"],
    webhookUrl: webhookUrl(v.sandbox, record.id),
    resolvedKeywords: record.data["resolvedKeywords"],
  }),

  async afterWrite(v, record, phase, olds) {
    const wasAttached = olds?.["attachedServiceSid"] !== undefined;
    if (v.attachToMessagingService && (phase === "create" || !wasAttached)) return attach(v, record);
    if (!v.attachToMessagingService && wasAttached && olds) {
      await detach(olds, v.sandbox, record.id);
      return {};
    }
    return wasAttached ? pick(olds ?? {}, ["attachedServiceSid", "previousServiceUrl"]) : {};
  },

  async afterDelete(props) {
    // The record is gone (the store refused nothing): now put the service's earlier URL back.
    await detach(props, String(props["sandbox"] ?? "prod"), String(props["recordId"] ?? ""));
  },

  readProps: (record) => ({
    ...fields(record.data, DATA_FIELDS),
    ...fields(record.data, ["attachedServiceSid", "previousServiceUrl", "resolvedKeywords"]),
    webhookUrl: webhookUrl(record.sandbox, record.id),
  }),
});
