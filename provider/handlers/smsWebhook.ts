import type { StoredRecord } from "../../store/types";
import type { CheckFailure } from "../schema/check";
import { resolveKeywords } from "../../contract/keywords";
import type { SmsWebhookInputs } from "../schema/smsWebhook";
import { ProviderError } from "../errors";
import { classifyTwilioError, describeTwilioFailure, type TwilioFailure } from "../twilio/errors";
import { serviceUrl, setServiceUrl, type ServiceUrlField } from "../twilio/services";
import type { SmsWebhookOutputs } from "../resources/outputs";
import { anyUnknown, InputError, pick, storedFields, type Inputs } from "./common";
import type { ProviderContext } from "./context";
import { warn } from "./log";
import { missingCredential, storedCredential, twilioAuthOfStored } from "./credentials";
import { probeReceiver, receiverCommand } from "./receiver";
import { recordHandlers, type Keys, type State, type StateProps } from "./record";
import { DEFAULT_SANDBOX, DEFAULT_SIGNATURE_HEADER } from "../../contract/defaults";

const TYPE = "SmsWebhook";
/** The schema and its cross-field rules need zod: required on the first check (see record.ts `schema`). */
const schemaModule = () => require("../schema/smsWebhook") as typeof import("../schema/smsWebhook");
/** Beyond the class's outputs, state keeps the service's earlier URL, which delete puts back. */
interface WebhookState extends SmsWebhookOutputs {
  previousServiceUrl?: string;
}
type Props = StateProps<SmsWebhookInputs, WebhookState>;
const stored = storedFields<State<SmsWebhookInputs, WebhookState>>();
const DATA_FIELDS = [
  "type",
  "apiCredentialId",
  "apiCredentialType",
  "senderNumber",
  "keywords",
  "defaultReply",
  "payloadMapping",
  "attachToMessagingService",
] as const satisfies Keys<State<SmsWebhookInputs, WebhookState>>;

const NO_BASE_URL: CheckFailure = {
  property: "smschannels:webhookBaseUrl",
  reason:
    "a webhook needs the public base URL of the webhook receiver (pulumi-sms-channels-store receive), which Twilio and vendors call: set smschannels:webhookBaseUrl (or SMSCHANNELS_WEBHOOK_BASE_URL); the store service is private and is no default",
};

/**
 * The webhook's secrets as the receiver reads them (the record format agreed with the store side):
 * `{ twilioAuthToken?, verification?: { username?, password?, token?, secret? } }`. The verification's
 * type and header are not secret: they go in the record's data.
 */
function webhookSecret(f: Inputs): Inputs | undefined {
  const out: Inputs = {};
  if (typeof f["twilioAuthToken"] === "string") out["twilioAuthToken"] = f["twilioAuthToken"];
  const v = f["verification"] as SmsWebhookInputs["verification"];
  if (v) {
    switch (v.type) {
      case "basic":
        out["verification"] = { username: v.username, password: v.password };
        break;
      case "bearer":
        out["verification"] = { token: v.token };
        break;
      case "hmac-sha256":
        out["verification"] = { secret: v.secret };
        break;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function verificationData(v: SmsWebhookInputs["verification"]): Inputs {
  if (!v) return {};
  return {
    verification:
      v.type === "hmac-sha256"
        ? { type: v.type, header: v.header ?? DEFAULT_SIGNATURE_HEADER }
        : { type: v.type },
  };
}

/** The stored credential's rules for this webhook (a bare id: the schema could not know its kind). */
function storedCredentialFailures(v: SmsWebhookInputs, credential: StoredRecord): CheckFailure[] {
  const auth = typeof credential.data["apiKeySid"] === "string" ? "api-key" : "auth-token";
  const failures = schemaModule().credentialRuleFailures(v, credential.credentialType, auth);
  if (credential.credentialType === "twilio-sms" && v.payloadMapping) {
    failures.push({
      property: "payloadMapping",
      reason: "is for custom vendors (a CustomRcsCredential); Twilio's own payload needs no mapping",
    });
  }
  return failures;
}

/**
 * Before a live service is pointed at the webhook: the base URL must answer as the receiver, else
 * every inbound message and status callback would be refused. The service is left as it was.
 */
async function requireReceiver(ctx: ProviderContext, serviceSid: string): Promise<void> {
  const settings = ctx.settings;
  const base = settings.webhookBaseUrl;
  if (!base) throw new InputError(TYPE, [NO_BASE_URL]);
  const problem = await probeReceiver(base);
  if (problem === undefined) return;
  throw new InputError(TYPE, [
    {
      property: "attachToMessagingService",
      reason: `refused to point Messaging Service ${serviceSid} at ${base}: the webhook receiver does not answer there (${problem}); the service is unchanged. Start the receiver: ${receiverCommand(settings, base)}, or set smschannels:webhookBaseUrl to where it runs`,
    },
  ]);
}

export function webhookUrl(ctx: ProviderContext, sandbox: string, id: string): string {
  const base = ctx.settings.webhookBaseUrl;
  if (!base) throw new InputError(TYPE, [NO_BASE_URL]);
  return `${base}/v1/sandboxes/${encodeURIComponent(sandbox)}/webhooks/${encodeURIComponent(id)}`;
}

/** The verification's kind and header in outputs (policy packs read them); never its secret. */
function verificationOutputs(data: unknown): Pick<Props, "verificationType" | "verificationHeader"> {
  const v = data as { type?: unknown; header?: unknown } | undefined;
  if (typeof v?.type !== "string") return {};
  return {
    verificationType: v.type,
    ...(typeof v.header === "string" ? { verificationHeader: v.header } : {}),
  };
}

function fieldFor(type: SmsWebhookInputs["type"]): ServiceUrlField {
  return type === "inbound" ? "inboundRequestUrl" : "statusCallback";
}

/** The Twilio service a webhook attaches to, with the sign-in of its stored credential. */
async function attachTarget(ctx: ProviderContext, v: { sandbox: string; apiCredentialId: string }) {
  const credential = await storedCredential(ctx, TYPE, v.sandbox, v.apiCredentialId);
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
  const client = ctx.validator.client(await twilioAuthOfStored(ctx, credential));
  return { client, serviceSid };
}

/**
 * The URL to put back on delete. When the service points at another webhook of ours (this one
 * replaces it: a new sandbox), that webhook's own earlier URL: the replaced one is deleted next and
 * will not restore anything, since the service no longer points at it.
 */
async function originalUrl(
  ctx: ProviderContext,
  current: string | null,
  serviceSid: string,
): Promise<string> {
  const base = ctx.settings.webhookBaseUrl;
  const m =
    base && current?.startsWith(`${base}/v1/sandboxes/`)
      ? /\/v1\/sandboxes\/([^/]+)\/webhooks\/([^/?#]+)$/.exec(current)
      : null;
  if (!m) return current ?? "";
  const store = await ctx.store();
  const other = await store
    .get(decodeURIComponent(m[1]!), "webhook", decodeURIComponent(m[2]!))
    .catch(() => undefined);
  return other?.data["attachedServiceSid"] === serviceSid &&
    typeof other.data["previousServiceUrl"] === "string"
    ? other.data["previousServiceUrl"]
    : (current ?? "");
}

async function attach(ctx: ProviderContext, v: SmsWebhookInputs, record: StoredRecord): Promise<Inputs> {
  const { client, serviceSid } = await attachTarget(ctx, v);
  const field = fieldFor(v.type);
  const url = webhookUrl(ctx, v.sandbox, record.id);
  const current = await serviceUrl(client, serviceSid, field);
  if (current === url)
    return { attachedServiceSid: serviceSid, previousServiceUrl: record.data["previousServiceUrl"] ?? "" };
  await requireReceiver(ctx, serviceSid);
  const previous = await originalUrl(ctx, current, serviceSid);
  // Keep the earlier value in the record first, so delete can put it back even after a crash here.
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

/** The attachment kept in state (attachedServiceSid, previousServiceUrl), when there is one. */
function attachmentOf(olds: Inputs | undefined): Inputs {
  return typeof olds?.["attachedServiceSid"] === "string"
    ? pick(olds, ["attachedServiceSid", "previousServiceUrl"])
    : {};
}

/** What Twilio answered, when a call of services.ts failed with an answer from it. */
function twilioFailureOf(e: unknown): TwilioFailure | undefined {
  return ProviderError.is(e, "TWILIO_REJECTED") ? classifyTwilioError(e.cause) : undefined;
}

/**
 * Twilio refused the credential while a service was being put back. A bare 20003 naming the field
 * left every destroy failing with no way out given, so the error says what to do: the current
 * secret on the credential, or, when the account is gone for good, how to take the webhook out of
 * the stack (the URN from state when the resource class wrote one).
 */
function credentialRefused(
  ctx: ProviderContext,
  e: unknown,
  failure: TwilioFailure,
  credential: StoredRecord,
  props: Inputs,
  where: { sandbox: string; id: string; serviceSid: string; op: "delete" | "update" },
): ProviderError {
  const name = String(props["name"] ?? where.id);
  const secret =
    typeof credential.data["apiKeySid"] === "string" ? "apiKeySid and apiKeySecret" : "authToken";
  const urn =
    typeof props["ownerUrn"] === "string" ? props["ownerUrn"] : "<its URN, from `pulumi stack --show-urns`>";
  const rotated = `If the credential's ${secret} was changed in Twilio: set the current one on SmsApiCredential "${credential.name}", run \`pulumi up\`, then run the ${where.op} again.`;
  const gone =
    where.op === "delete"
      ? ` If the account is gone for good: remove the webhook from the stack with \`pulumi state delete '${urn}'\`; its record (webhook "${name}", id ${where.id}, sandbox "${where.sandbox}") is then left in the store, where it keeps credential "${credential.name}" in use until it is deleted there: npx pulumi-sms-channels-store records delete --database ${ctx.settings.storeUrl ? "<the service's database>" : ctx.settings.storePath} --sandbox ${where.sandbox} --kind webhook ${where.id} --force${ctx.settings.storeUrl ? " (run by an admin of the store service, with SMSCHANNELS_STORE_KEY set to its key)" : ""}`
      : "";
  return new ProviderError(
    "TWILIO_REJECTED",
    `${TYPE} ${name}: attachToMessagingService: Twilio refused credential "${credential.name}" of account ${String(credential.data["accountSid"])} (${describeTwilioFailure(failure)}), so Messaging Service ${where.serviceSid} still points at this webhook${where.op === "delete" ? " and nothing was deleted" : ""}. ${rotated}${gone}`,
    { cause: e },
  );
}

/** Puts the service's earlier URL back, unless someone pointed it elsewhere since. */
async function detach(
  ctx: ProviderContext,
  props: Inputs,
  sandbox: string,
  id: string,
  op: "delete" | "update",
): Promise<void> {
  const serviceSid = props["attachedServiceSid"];
  if (typeof serviceSid !== "string" || typeof props["apiCredentialId"] !== "string") return;
  const credential = await storedCredential(ctx, TYPE, sandbox, props["apiCredentialId"]);
  if (!credential) return;
  const client = ctx.validator.client(await twilioAuthOfStored(ctx, credential));
  const field = fieldFor(props["type"] === "feedback" ? "feedback" : "inbound");
  const url = webhookUrl(ctx, sandbox, id);
  try {
    if ((await serviceUrl(client, serviceSid, field)) === url) {
      await setServiceUrl(client, serviceSid, field, String(props["previousServiceUrl"] ?? ""));
    }
  } catch (e) {
    const failure = twilioFailureOf(e);
    if (failure?.kind === "auth")
      throw credentialRefused(ctx, e, failure, credential, props, { sandbox, id, serviceSid, op });
    if (failure?.kind !== "not-found") throw e;
    // The service was deleted in Twilio: nothing calls the webhook any more and there is nothing to
    // put back. Failing would keep the webhook undeletable for good; say so instead and go on.
    warn(
      `${TYPE} ${String(props["name"] ?? id)}: Messaging Service ${serviceSid} no longer exists in Twilio (${describeTwilioFailure(failure)}); there is no earlier ${field} to put back, so this goes on without it`,
    );
  }
}

export const smsWebhook = recordHandlers<SmsWebhookInputs, WebhookState>({
  type: TYPE,
  kind: "webhook",
  schema: () => schemaModule().smsWebhookInputs,
  readsSecrets: (_ctx, v) =>
    v.attachToMessagingService
      ? "attachToMessagingService signs in to Twilio with the credential's secret"
      : undefined,
  crossFieldGuard: ["type", "apiCredentialType", "keywords"],
  secretFields: ["twilioAuthToken", "verification"],
  secretPayload: webhookSecret,
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
  // The credential lookup waits for a known id.
  checkNeeds: ["sandbox"],

  // A setting, known in every preview: said before the store or Twilio is asked anything.
  checkSettings: (ctx) => (ctx.settings.webhookBaseUrl ? [] : [NO_BASE_URL]),

  async checkKnown(ctx, v) {
    const failures: CheckFailure[] = [];
    // A bare id, or a credential resource that could not say how it signs in: ask the store.
    const needsStore = !v.apiCredentialType || (v.apiCredentialType === "twilio-sms" && !v.apiCredentialAuth);
    const guard = ["apiCredentialId", "payloadMapping", "twilioAuthToken", "verification"];
    if (needsStore && !anyUnknown(v, guard)) {
      const credential = await storedCredential(ctx, TYPE, v.sandbox, v.apiCredentialId);
      // A credential resource created in this same run is not in the store yet: nothing to say.
      if (!credential) {
        if (!v.apiCredentialType) failures.push(missingCredential(v.sandbox, v.apiCredentialId));
      } else failures.push(...storedCredentialFailures(v, credential));
    }
    return failures;
  },

  async prepare(ctx, v, phase, olds) {
    if (!ctx.settings.webhookBaseUrl) throw new InputError(TYPE, [NO_BASE_URL]);
    const credential = await storedCredential(ctx, TYPE, v.sandbox, v.apiCredentialId);
    if (!credential) throw new InputError(TYPE, [missingCredential(v.sandbox, v.apiCredentialId)]);
    const failures = storedCredentialFailures(v, credential);
    if (failures.length > 0) throw new InputError(TYPE, failures);
    return {
      data: {
        ...pick(v, DATA_FIELDS),
        apiCredentialType: credential.credentialType,
        ...verificationData(v.verification),
        // What the messaging runtime answers with: the contract's defaults filled in.
        ...(v.type === "inbound" ? { resolvedKeywords: resolveKeywords(v.keywords) } : {}),
        // An update of a webhook that stays attached keeps what attach wrote: without it, the record
        // lost the service and its earlier URL, a refresh then dropped them from the state, and the
        // delete no longer put the service's URL back.
        ...(phase === "update" && v.attachToMessagingService ? attachmentOf(olds) : {}),
      },
      refs: [{ kind: "api-credential", id: v.apiCredentialId }],
    };
  },

  outputs: (ctx, v, record): Props => ({
    ...stored(record.data, ["apiCredentialType"]),
    ...verificationOutputs(record.data["verification"]),
    webhookUrl: webhookUrl(ctx, v.sandbox, record.id),
    ...stored(record.data, ["resolvedKeywords"]),
  }),

  async afterWrite(ctx, v, record, phase, olds) {
    const wasAttached = olds?.["attachedServiceSid"] !== undefined;
    if (v.attachToMessagingService && (phase === "create" || !wasAttached)) return attach(ctx, v, record);
    if (!v.attachToMessagingService && wasAttached && olds) {
      await detach(ctx, olds, v.sandbox, record.id, "update");
      return {};
    }
    return attachmentOf(olds);
  },

  async beforeDelete(ctx, props) {
    // The service's earlier URL back while the record still answers: a failure leaves both in place.
    const sandbox = String(props["sandbox"] ?? DEFAULT_SANDBOX);
    await detach(ctx, props, sandbox, String(props["recordId"] ?? ""), "delete");
  },

  readProps: (ctx, record): Props => ({
    ...stored(record.data, DATA_FIELDS),
    ...verificationOutputs(record.data["verification"]),
    ...stored(record.data, ["attachedServiceSid", "previousServiceUrl", "resolvedKeywords"]),
    webhookUrl: webhookUrl(ctx, record.sandbox, record.id),
  }),
});
