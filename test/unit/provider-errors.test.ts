/**
 * The provider's error catalogue (provider/errors.ts): each code is produced where the provider
 * really fails, carries its cause, and is recognised across two loaded copies of the package.
 */
import { describe, expect, it, jest } from "@jest/globals";
import { resolveSettings } from "../../provider/config";
import {
  InputError,
  PROVIDER_ERROR_CODES,
  ProviderError,
  type ProviderErrorCode,
} from "../../provider/errors";
import { createOrAdopt, storeFailure } from "../../provider/handlers/common";
import { handlersFor, type ResourceTypeName } from "../../provider/handlers";
import { sendVerificationMessage } from "../../provider/twilio/messages";
import type { TwilioRest } from "../../provider/twilio/rest";
import { serviceUrl, setServiceUrl } from "../../provider/twilio/services";
import { StoreError } from "../../store/errors";
import { RateLimiter } from "../../store/server/rate-limit";
import { credentialInputs } from "../../provider/resources/references";
import type { StoredRecord } from "../../store/types";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

async function rejected(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

const record = (ownerUrn: string): StoredRecord => ({
  id: "rec-1",
  sandbox: "prod",
  kind: "api-credential",
  name: "main",
  version: 1,
  data: {},
  refs: [],
  ownerUrn,
  createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z",
});

/** A Twilio client whose every call fails as our REST client does on a 400. */
function refusingTwilio(): { client: TwilioRest; failure: Error } {
  const failure = Object.assign(new Error("The 'To' number is not a valid phone number."), {
    status: 400,
    code: 21211,
  });
  const fail = () => Promise.reject(failure);
  const client = {
    createMessage: fail,
    fetchService: fail,
    updateService: fail,
  } as unknown as TwilioRest;
  return { client, failure };
}

const seen = new Set<ProviderErrorCode>();
function expectCode(e: unknown, code: ProviderErrorCode, cause?: unknown): ProviderError {
  expect(ProviderError.isInstance(e)).toBe(true);
  expect(ProviderError.is(e, code)).toBe(true);
  const err = e as ProviderError;
  expect(err.code).toBe(code);
  if (cause !== undefined) expect(err.cause).toBe(cause);
  seen.add(code);
  return err;
}

describe("provider errors", () => {
  it("INVALID_INPUT: names every field at fault", () => {
    const e = expectCode(
      new InputError("SmsApiCredential", [
        { property: "accountSid", reason: "must be a Twilio Account SID" },
        { property: "authToken", reason: "required" },
      ]),
      "INVALID_INPUT",
    );
    expect(e.message).toBe(
      "SmsApiCredential: 2 problems:\n  - accountSid: must be a Twilio Account SID\n  - authToken: required",
    );
    expect(e.name).toBe("InputError");
  });

  it("INVALID_CONFIG: names the stack config key and its environment variable", () => {
    const e = expectCode(
      thrown(() => resolveSettings({ get: () => undefined }, { SMSCHANNELS_VALIDATION: "loose" }, "/tmp")),
      "INVALID_CONFIG",
    );
    expect(e.message).toContain("smschannels:validation (or SMSCHANNELS_VALIDATION)");
  });

  it("STORE_FAILED: keeps the store's code and the store error as cause", () => {
    const cause = new StoreError("CONFLICT", "record rec-1 is at version 3, not 2");
    const e = expectCode(storeFailure("SmsWebhook", cause), "STORE_FAILED", cause);
    expect(e.message).toBe("SmsWebhook: record rec-1 is at version 3, not 2 [CONFLICT]");
    expect((e as unknown as { storeCode: string }).storeCode).toBe("CONFLICT");
  });

  it("INVALID_INPUT: a program's apiCredential that is a resource but no credential", () => {
    // What pulumi.CustomResource.isInstance recognises: a resource of a class without credentialType.
    const notACredential = { __pulumiCustomResource: true } as unknown as Parameters<
      typeof credentialInputs
    >[1];
    const e = expectCode(
      thrown(() => credentialInputs("SmsWebhook", notACredential)),
      "INVALID_INPUT",
    );
    expect(e.message).toBe(
      "SmsWebhook: apiCredential: must be an SmsApiCredential, a CustomRcsCredential or a credential id",
    );
    expect((e as InputError).failures.map((f) => f.property)).toEqual(["apiCredential"]);
  });

  it("STORE_FAILED: a thrown non-Error still gets the code, and is the cause", () => {
    const e = expectCode(storeFailure("SmsWebhook", "socket hang up"), "STORE_FAILED", "socket hang up");
    expect(e.message).toBe("SmsWebhook: the store failed: socket hang up");
    // Errors that carry their own code (the store's, net/'s) go on unchanged.
    const own = new Error("x");
    expect(storeFailure("SmsWebhook", own)).toBe(own);
  });

  it("the store server's rate limit refuses a nonsense limit with a coded StoreError", () => {
    const e = thrown(() => new RateLimiter({ perSecond: 0, burst: 1 }));
    expect(StoreError.is(e, "INVALID_INPUT")).toBe(true);
    expect((e as StoreError).field).toBe("rateLimit");
  });

  it("NAME_TAKEN: a record of that name written by another resource is not adopted", async () => {
    const cause = new StoreError("ALREADY_EXISTS", 'api-credential "main" already exists in sandbox "prod"');
    const e = expectCode(
      await rejected(
        createOrAdopt(
          "SmsApiCredential",
          "urn:pulumi:dev::p::t::mine",
          () => Promise.reject(cause),
          () => Promise.resolve(record("urn:pulumi:dev::p::t::theirs")),
          () => Promise.reject(new Error("must not adopt")),
        ),
      ),
      "NAME_TAKEN",
      cause,
    );
    expect(e.message).toContain("choose another `name` or `sandbox`");
  });

  it("TWILIO_REJECTED: the sample message and the Messaging Service writes carry Twilio's error", async () => {
    const { client, failure } = refusingTwilio();
    const sid = `MG${"0".repeat(32)}`;
    expectCode(
      await rejected(
        sendVerificationMessage(client, { to: "+14155550100", body: "hi", messagingServiceSid: sid }),
      ),
      "TWILIO_REJECTED",
      failure,
    );
    expectCode(await rejected(serviceUrl(client, sid, "inboundRequestUrl")), "TWILIO_REJECTED", failure);
    expectCode(await rejected(setServiceUrl(client, sid, "statusCallback", "")), "TWILIO_REJECTED", failure);
  });

  it("UNKNOWN_RESOURCE_TYPE: state from a newer package", () => {
    expectCode(
      thrown(() => handlersFor("SmsCarrierPigeon" as ResourceTypeName)),
      "UNKNOWN_RESOURCE_TYPE",
    );
  });

  it("every code of the catalogue is produced above", () => {
    expect([...seen].sort()).toEqual([...PROVIDER_ERROR_CODES].sort());
  });

  it("are recognised across two loaded copies of the package, and foreign errors are not", () => {
    let Other: typeof ProviderError | undefined;
    jest.isolateModules(() => {
      Other = (require("../../provider/errors") as typeof import("../../provider/errors")).ProviderError;
    });
    expect(Other).toBeDefined();
    expect(Other).not.toBe(ProviderError);
    const theirs = new Other!("NAME_TAKEN", "x");
    expect(theirs instanceof ProviderError).toBe(false);
    expect(ProviderError.isInstance(theirs)).toBe(true);
    expect(ProviderError.is(theirs, "NAME_TAKEN")).toBe(true);
    expect(Other!.isInstance(new InputError("T", [{ property: "p", reason: "r" }]))).toBe(true);
    for (const foreign of [
      new Error("x"),
      { name: "ProviderError", code: "NAME_TAKEN" },
      null,
      "NAME_TAKEN",
    ]) {
      expect(ProviderError.isInstance(foreign)).toBe(false);
    }
  });
});
