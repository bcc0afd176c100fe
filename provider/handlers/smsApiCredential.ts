import { fingerprintSecret } from "../../store/crypto";
import type { SecretPayload, StoredRecord } from "../../store/types";
import { isUnknown, parseInputs } from "../schema/check";
import { smsApiCredentialInputs, type SmsApiCredentialInputs } from "../schema/smsApiCredential";
import type { TwilioAuth } from "../twilio/client";
import { sendVerificationMessage } from "../twilio/messages";
import { anyUnknown, applyMode, compact, createOrAdopt, diffFields, InputError, pick, storeFailure, validationMode } from "./common";
import type { Inputs, ResourceHandlers } from "./common";
import { context } from "./context";

const TYPE = "SmsApiCredential";
const KIND = "api-credential";
/** Inputs kept in outputs, so diff and read can compare them. */
const PLAIN_FIELDS = [
  "sandbox",
  "name",
  "accountSid",
  "apiKeySid",
  "messagingServiceSid",
  "inboundNumber",
  "verifyConnection",
  "validation",
] as const;
const TWILIO_FIELDS = ["accountSid", "authToken", "apiKeySid", "apiKeySecret", "messagingServiceSid", "inboundNumber"];

function authOf(v: SmsApiCredentialInputs): TwilioAuth {
  return v.authToken !== undefined
    ? { accountSid: v.accountSid, authToken: v.authToken }
    : { accountSid: v.accountSid, apiKeySid: v.apiKeySid as string, apiKeySecret: v.apiKeySecret as string };
}

function secretOf(v: Pick<SmsApiCredentialInputs, "authToken" | "apiKeySecret">): SecretPayload {
  return v.authToken !== undefined ? { authToken: v.authToken } : { apiKeySecret: v.apiKeySecret };
}

function parseOrThrow(inputs: Inputs): SmsApiCredentialInputs {
  const parsed = parseInputs(smsApiCredentialInputs, inputs, ["authToken", "apiKeySid", "apiKeySecret"]);
  if (parsed.failures.length > 0 || !parsed.value) throw new InputError(TYPE, parsed.failures);
  return parsed.value;
}

async function validate(v: SmsApiCredentialInputs, resourceName: string) {
  const mode = validationMode(v.validation);
  if (mode === "off") return { failures: [], report: undefined };
  const report = await context().validator.checkSmsCredential({
    auth: authOf(v),
    ...(v.messagingServiceSid ? { messagingServiceSid: v.messagingServiceSid } : {}),
    ...(v.inboundNumber ? { inboundNumber: v.inboundNumber } : {}),
  });
  return { failures: applyMode(mode, resourceName, report.failures), report };
}

function outputsOf(v: SmsApiCredentialInputs, record: StoredRecord, extra: Inputs): Inputs {
  return compact({
    ...pick(v as Inputs, PLAIN_FIELDS),
    ...(v.ownerUrn ? { ownerUrn: v.ownerUrn } : {}),
    vendor: "twilio",
    credentialType: "twilio-sms",
    accountFriendlyName: record.data["accountFriendlyName"],
    accountType: record.data["accountType"],
    validatedAt: record.data["validatedAt"],
    secretFingerprint: record.secretFingerprint,
    recordVersion: record.version,
    ...extra,
  });
}

function recordData(v: SmsApiCredentialInputs, report: Awaited<ReturnType<typeof validate>>["report"]): Inputs {
  return {
    ...pick(v as Inputs, ["accountSid", "apiKeySid", "messagingServiceSid", "inboundNumber"]),
    ...(report?.account?.friendlyName !== undefined ? { accountFriendlyName: report.account.friendlyName } : {}),
    ...(report?.account?.type !== undefined ? { accountType: report.account.type } : {}),
    ...(report ? { validatedAt: report.validatedAt } : {}),
  };
}

async function verify(v: SmsApiCredentialInputs): Promise<string | undefined> {
  if (!v.verifyConnection) return undefined;
  return sendVerificationMessage(context().validator.client(authOf(v)), {
    to: v.verifyConnection.to,
    body: v.verifyConnection.message,
    ...(v.messagingServiceSid ? { messagingServiceSid: v.messagingServiceSid } : {}),
    ...(v.inboundNumber ? { from: v.inboundNumber } : {}),
  });
}

export const smsApiCredential: ResourceHandlers = {
  async check(_olds, news) {
    const parsed = parseInputs(smsApiCredentialInputs, news, ["authToken", "apiKeySid", "apiKeySecret"]);
    const failures = [...parsed.failures];
    const v = parsed.value;
    if (failures.length === 0 && v && !anyUnknown(news, [...TWILIO_FIELDS, "validation"])) {
      const result = await validate(v, String(news["name"] ?? TYPE));
      failures.push(...result.failures);
    }
    return { inputs: news, failures };
  },

  async diff(_id, olds, news) {
    const secretUnknown = isUnknown(news["authToken"]) || isUnknown(news["apiKeySecret"]);
    const fingerprint = secretUnknown
      ? "unknown"
      : news["authToken"] !== undefined || news["apiKeySecret"] !== undefined
        ? fingerprintSecret(secretOf(news as SmsApiCredentialInputs))
        : undefined;
    return diffFields(olds, news, PLAIN_FIELDS, fingerprint);
  },

  async create(inputs) {
    const v = parseOrThrow(inputs);
    const { failures, report } = await validate(v, v.name);
    if (failures.length > 0) throw new InputError(TYPE, failures);
    const ctx = context();
    const store = await ctx.store();
    // The sample message goes first: if Twilio refuses it, nothing is written.
    const verificationMessageSid = await verify(v);
    const data = recordData(v, report);
    const record = await createOrAdopt(
      TYPE,
      v.ownerUrn,
      () =>
        store.create(
          {
            sandbox: v.sandbox,
            kind: KIND,
            name: v.name,
            credentialType: "twilio-sms",
            data,
            secret: secretOf(v),
            ...(v.ownerUrn ? { ownerUrn: v.ownerUrn } : {}),
          },
          { actor: ctx.actor },
        ),
      () => store.findByName(v.sandbox, KIND, v.name),
      (existing) => store.update(v.sandbox, KIND, existing.id, existing.version, { data, secret: secretOf(v) }, { actor: ctx.actor }),
    );
    return {
      id: record.id,
      outs: outputsOf(v, record, verificationMessageSid ? { verificationMessageSid } : {}),
    };
  },

  async read(id, props) {
    const store = await context().store();
    const sandbox = String(props["sandbox"] ?? "prod");
    const record = await store.get(sandbox, KIND, id).catch((e: unknown) => {
      throw storeFailure(TYPE, e);
    });
    // Deleted outside Pulumi: an empty id tells the engine the resource is gone.
    if (!record) return { id: "", props: {} };
    const d = record.data;
    return {
      id,
      props: compact({
        ...props,
        name: record.name,
        accountSid: d["accountSid"],
        apiKeySid: d["apiKeySid"],
        messagingServiceSid: d["messagingServiceSid"],
        inboundNumber: d["inboundNumber"],
        accountFriendlyName: d["accountFriendlyName"],
        accountType: d["accountType"],
        validatedAt: d["validatedAt"],
        secretFingerprint: record.secretFingerprint,
        recordVersion: record.version,
      }),
    };
  },

  async update(id, olds, news) {
    const v = parseOrThrow(news);
    const { failures, report } = await validate(v, v.name);
    if (failures.length > 0) throw new InputError(TYPE, failures);
    const ctx = context();
    const store = await ctx.store();
    const verifyChanged = JSON.stringify(olds["verifyConnection"] ?? null) !== JSON.stringify(v.verifyConnection ?? null);
    const verificationMessageSid = verifyChanged ? await verify(v) : (olds["verificationMessageSid"] as string | undefined);
    const secret = secretOf(v);
    const record = await store
      .update(
        v.sandbox,
        KIND,
        id,
        Number(olds["recordVersion"]),
        {
          name: v.name,
          data: recordData(v, report ?? undefined),
          ...(fingerprintSecret(secret) !== olds["secretFingerprint"] ? { secret } : {}),
        },
        { actor: ctx.actor },
      )
      .catch((e: unknown) => {
        throw storeFailure(TYPE, e);
      });
    return { outs: outputsOf(v, record, verificationMessageSid ? { verificationMessageSid } : {}) };
  },

  async delete(id, props) {
    const ctx = context();
    const store = await ctx.store();
    await store.delete(String(props["sandbox"] ?? "prod"), KIND, id, { actor: ctx.actor }).catch((e: unknown) => {
      throw storeFailure(TYPE, e);
    });
  },
};
