import type { RecordRow } from "../../store/backend";
import { StoreError } from "../../store/errors";
import { checkReferences } from "../../store/rules";
import type { StoredRecord } from "../../store/types";
import type { CheckFailure } from "../schema/check";
import type { TwilioAuth } from "../twilio/rest";
import { storeFailure } from "./common";
import type { ProviderContext } from "./context";

/** The credential a webhook or channel names, as the store has it now. */
export async function storedCredential(
  ctx: ProviderContext,
  typeName: string,
  sandbox: string,
  id: string,
): Promise<StoredRecord | undefined> {
  const store = await ctx.store();
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

/** Twilio sign-in of a stored twilio-sms credential (its secret read from the store, audited). */
export async function twilioAuthOfStored(ctx: ProviderContext, record: StoredRecord): Promise<TwilioAuth> {
  const store = await ctx.store();
  const secret = await store.readSecret(record.sandbox, "api-credential", record.id, { actor: ctx.actor });
  const accountSid = String(record.data["accountSid"]);
  if (secret && typeof secret["authToken"] === "string")
    return { accountSid, authToken: secret["authToken"] };
  if (secret && typeof secret["apiKeySecret"] === "string" && typeof record.data["apiKeySid"] === "string") {
    return { accountSid, apiKeySid: record.data["apiKeySid"], apiKeySecret: secret["apiKeySecret"] };
  }
  throw new StoreError("CORRUPT", `credential ${record.id} has no Twilio secret in the store`);
}

/**
 * The store's rules between records (store/rules.ts), applied in check to records the store has now:
 * the failure preview reports is the one the store would give at write time.
 */
export function storeRuleFailures(
  row: Pick<RecordRow, "kind" | "name" | "sandbox" | "data">,
  referenced: readonly StoredRecord[],
): CheckFailure[] {
  const asRow = (r: StoredRecord): RecordRow => ({
    ...r,
    credentialType: r.credentialType ?? null,
    secret: null,
    secretFingerprint: null,
    ownerUrn: null,
    ownerInstance: null,
  });
  try {
    checkReferences(
      { ...asRow({ id: "(new)", version: 1, refs: [], createdAt: "", updatedAt: "", ...row }) },
      referenced.map(asRow),
    );
    return [];
  } catch (e) {
    if (!StoreError.isInstance(e) || !e.field) throw e;
    return [{ property: e.field, reason: e.message.replace(new RegExp(`^${e.field}: `), "") }];
  }
}
