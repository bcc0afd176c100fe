import { StoreError } from "../../store/errors";
import type { CredentialType, StoredRecord } from "../../store/types";
import type { CheckFailure } from "../schema/check";
import type { TwilioAuth } from "../twilio/client";
import { storeFailure } from "./common";
import { context } from "./context";

/** The credential a webhook or channel names, as the store has it now. */
export async function storedCredential(typeName: string, sandbox: string, id: string): Promise<StoredRecord | undefined> {
  const store = await context().store();
  return store.get(sandbox, "api-credential", id).catch((e: unknown) => {
    throw storeFailure(typeName, e);
  });
}

export function missingCredential(sandbox: string, id: string): CheckFailure {
  return {
    property: "apiCredential",
    reason: `no API credential ${id} in sandbox "${sandbox}" (the credential and what refers to it must share one sandbox)`,
  };
}

/**
 * The type of the referenced credential: from the resource passed (known in preview), else from the
 * store for a bare id. `undefined` when the store has no such credential.
 */
export async function credentialTypeOf(
  typeName: string,
  sandbox: string,
  id: string,
  given: CredentialType | undefined,
): Promise<CredentialType | undefined> {
  if (given) return given;
  return (await storedCredential(typeName, sandbox, id))?.credentialType;
}

/** Twilio sign-in of a stored twilio-sms credential (its secret read from the store, audited). */
export async function twilioAuthOfStored(record: StoredRecord): Promise<TwilioAuth> {
  const ctx = context();
  const store = await ctx.store();
  const secret = await store.readSecret(record.sandbox, "api-credential", record.id, { actor: ctx.actor });
  const accountSid = String(record.data["accountSid"]);
  if (secret && typeof secret["authToken"] === "string") return { accountSid, authToken: secret["authToken"] };
  if (secret && typeof secret["apiKeySecret"] === "string" && typeof record.data["apiKeySid"] === "string") {
    return { accountSid, apiKeySid: record.data["apiKeySid"], apiKeySecret: secret["apiKeySecret"] };
  }
  throw new StoreError("CORRUPT", `credential ${record.id} has no Twilio secret in the store`);
}
