/**
 * The entry point the serialized provider calls: `configure` builds the process's context once from
 * the stack config and installs the six methods bound to it, for every resource type.
 */
import type * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { configure, handlersFor, RESOURCE_TYPES } from "../../provider/handlers";
import { RESOURCE_NAMES, TYPES } from "../../contract/tokens";
import { ChannelConfiguration, CustomRcsCredential, SmsApiCredential, SmsWebhook } from "../../provider";
import { openEmbeddedStore } from "../../store/embedded";
import { TwilioEmulator } from "../twilio-emulator";
import { twilioCredentialInputs } from "../support/provider-context";

it("binds every type's methods to one context made from the stack config", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "smschannels-configure-"));
  const twilio = await TwilioEmulator.start();
  const config: Record<string, string> = {
    "smschannels:storePath": path.join(dir, "state", "store.db"),
    "smschannels:storeKey": randomBytes(32).toString("base64"),
    "smschannels:twilioApiUrl": twilio.url,
  };
  try {
    const providers = RESOURCE_TYPES.map(() => ({}) as Partial<pulumi.dynamic.ResourceProvider>);
    for (const [i, type] of RESOURCE_TYPES.entries()) {
      await configure({ config: { get: (k) => config[k] } }, providers[i]!, type);
      for (const m of ["check", "diff", "create", "read", "update", "delete"] as const) {
        expect(typeof providers[i]![m]).toBe("function");
      }
    }
    const account = twilio.addAccount();
    const { id } = await providers[0]!.create!(twilioCredentialInputs("configured", account));
    // The record is in the store the stack config names.
    const store = await openEmbeddedStore({
      path: config["smschannels:storePath"]!,
      key: config["smschannels:storeKey"]!,
    });
    try {
      expect((await store.get("prod", "api-credential", id))?.name).toBe("configured");
    } finally {
      await store.close();
    }
    // A later configure (another resource, other config) keeps the process's context.
    const late = {} as Partial<pulumi.dynamic.ResourceProvider>;
    await configure({ config: { get: () => undefined } }, late, "SmsApiCredential");
    expect((await late.read!(id, { sandbox: "prod" })).id).toBe(id);
  } finally {
    await twilio.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

it("serves exactly the contract's resource names, each class under the contract's token", () => {
  // One list: the provider's is the contract's, and every class registers the contract's token.
  expect(RESOURCE_TYPES).toBe(RESOURCE_NAMES);
  const classes = { SmsApiCredential, CustomRcsCredential, SmsWebhook, ChannelConfiguration };
  expect(Object.keys(classes).sort()).toEqual([...RESOURCE_NAMES].sort());
  for (const name of RESOURCE_NAMES) {
    expect(classes[name].__pulumiType).toBe(TYPES[name]);
    expect(handlersFor(name)).toBeDefined();
  }
});
