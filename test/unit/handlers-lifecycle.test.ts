/**
 * create/read/update/delete/adopt of each of the four resources, through their handlers with a
 * provider context of the test's own: the real embedded SQLite store in a temporary folder and the
 * Twilio emulator on loopback. No Pulumi engine: seconds, not minutes (the e2e suites drive the CLI).
 */
import { channelConfiguration } from "../../provider/handlers/channelConfiguration";
import type { ContextHandlers, Inputs } from "../../provider/handlers/common";
import { customRcsCredential } from "../../provider/handlers/customRcsCredential";
import { smsApiCredential } from "../../provider/handlers/smsApiCredential";
import { smsWebhook } from "../../provider/handlers/smsWebhook";
import type { RecordKind } from "../../store/types";
import type {
  ChannelConfigurationOutputs,
  CustomRcsCredentialOutputs,
  SmsApiCredentialOutputs,
  SmsWebhookOutputs,
} from "../../provider/resources/outputs";
import { startRecordingServer, type TestServer } from "../support/http-server";
import {
  ACTOR,
  customCredentialInputs,
  startHarness,
  storedTwilioCredential,
  twilioAccount as twilioAccountOf,
  twilioCredentialInputs,
  unique,
  urnOf,
  type Harness,
} from "../support/provider-context";

let h: Harness;
let vendor: TestServer;

beforeAll(async () => {
  h = await startHarness();
  vendor = await startRecordingServer((_req, res) => res.writeHead(200).end('{"sid":"SMvendor"}'));
});
afterAll(async () => {
  await h.close();
  await vendor.close();
});

/**
 * The required outputs of a resource's declared Outputs (provider/resources/outputs.ts), listed so
 * that the compiler checks the list is complete: a required output added there fails here until the
 * handler writes it.
 */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
const requiredOutputs = <O>(keys: { [K in RequiredKeys<O>]: true }): string[] => Object.keys(keys);
const RECORD = { sandbox: true, name: true, recordId: true, recordVersion: true } as const;

const twilioAccount = () => twilioAccountOf(h);
const credential = () => storedTwilioCredential(h);

interface Case {
  readonly type: string;
  readonly kind: RecordKind;
  readonly handlers: ContextHandlers;
  /** Inputs of a create, as the engine gives them (ownerUrn set by the resource class). */
  inputs(name: string): Promise<Inputs>;
  /** An in-place change of those inputs: the new inputs, the stored data field it shows in, its new value. */
  change(inputs: Inputs): { news: Inputs; field: string; value: unknown };
  /** Secrets of the inputs: never in outputs, always in the store's secret. */
  secrets(inputs: Inputs): string[];
  /** What create and read must always output (the class declares them without `undefined`). */
  readonly required: string[];
}

const CASES: Case[] = [
  {
    type: "SmsApiCredential",
    kind: "api-credential",
    handlers: smsApiCredential,
    async inputs(name) {
      const { account, service } = twilioAccount();
      return twilioCredentialInputs(name, account, { messagingServiceSid: service.sid });
    },
    change(i) {
      const value = h.twilio.addService(String(i["accountSid"])).sid;
      return { news: { ...i, messagingServiceSid: value }, field: "messagingServiceSid", value };
    },
    secrets: (i) => [String(i["authToken"])],
    required: requiredOutputs<SmsApiCredentialOutputs>({
      ...RECORD,
      accountSid: true,
      vendor: true,
      credentialType: true,
      secretFingerprint: true,
    }),
  },
  {
    type: "CustomRcsCredential",
    kind: "api-credential",
    handlers: customRcsCredential,
    async inputs(name) {
      return customCredentialInputs(name, `${vendor.base}/send`);
    },
    change: (i) => ({
      news: { ...i, providerName: "Acme RCS 2" },
      field: "providerName",
      value: "Acme RCS 2",
    }),
    secrets: (i) => [String((i["auth"] as { token: string }).token)],
    required: requiredOutputs<CustomRcsCredentialOutputs>({
      ...RECORD,
      providerName: true,
      providerUrl: true,
      payloadTemplate: true,
      vendor: true,
      credentialType: true,
      authType: true,
      headerNames: true,
      secretFingerprint: true,
    }),
  },
  {
    type: "SmsWebhook",
    kind: "webhook",
    handlers: smsWebhook,
    async inputs(name) {
      return { sandbox: "prod", name, type: "inbound", apiCredentialId: (await credential()).id };
    },
    change: (i) => ({ news: { ...i, defaultReply: "Thanks!" }, field: "defaultReply", value: "Thanks!" }),
    secrets: () => [],
    required: requiredOutputs<SmsWebhookOutputs>({
      ...RECORD,
      type: true,
      apiCredentialId: true,
      apiCredentialType: true,
      webhookUrl: true,
    }),
  },
  {
    type: "ChannelConfiguration",
    kind: "channel-configuration",
    handlers: channelConfiguration,
    async inputs(name) {
      const c = await credential();
      return {
        sandbox: "prod",
        name: name.replace(/^[^A-Za-z]*/, "C"),
        channel: "sms",
        messageType: "transactional",
        apiCredentialId: c.id,
        senderNumber: c.number,
      };
    },
    change: (i) => ({ news: { ...i, description: "changed" }, field: "description", value: "changed" }),
    secrets: () => [],
    required: requiredOutputs<ChannelConfigurationOutputs>({
      ...RECORD,
      channel: true,
      messageType: true,
      apiCredentialId: true,
      apiCredentialType: true,
      senderNumber: true,
      status: true,
    }),
  },
];

describe.each(CASES)("$type handlers", (c) => {
  /** A create as the engine runs it: the resource class adds ownerUrn. */
  async function create(name = unique("res")): Promise<{ inputs: Inputs; id: string; outs: Inputs }> {
    const raw = await c.inputs(name);
    const inputs = { ...raw, ownerUrn: urnOf(c.type, String(raw["name"])) };
    const { id, outs } = await c.handlers.create(h.ctx, inputs);
    return { inputs, id, outs: outs as Inputs };
  }

  it("create writes one record, and outputs its id and version but no secret", async () => {
    const { inputs, id, outs } = await create();
    const record = await h.store.get("prod", c.kind, id);
    expect(record).toMatchObject({ id, name: inputs["name"], version: 1, ownerUrn: inputs["ownerUrn"] });
    expect(outs).toMatchObject({ recordId: id, recordVersion: 1, name: inputs["name"], sandbox: "prod" });
    for (const s of c.secrets(inputs)) {
      expect(JSON.stringify(outs)).not.toContain(s);
      expect(JSON.stringify(record)).not.toContain(s);
      expect(JSON.stringify(await h.store.readSecret("prod", c.kind, id, ACTOR))).toContain(s);
    }
    if (c.secrets(inputs).length > 0) expect(outs["secretFingerprint"]).toBe(record?.secretFingerprint);
  });

  it("create and read give every output the class declares as always there", async () => {
    const { id, outs } = await create();
    const { props } = await c.handlers.read(h.ctx, id, outs);
    for (const key of c.required) {
      expect([key, outs[key]]).not.toEqual([key, undefined]);
      expect([key, (props as Inputs)[key]]).not.toEqual([key, undefined]);
    }
  });

  it("read refreshes from the store, and reports a record deleted outside Pulumi as gone", async () => {
    const { id, outs } = await create();
    const record = (await h.store.get("prod", c.kind, id))!;
    const renamed = await h.store.update(
      "prod",
      c.kind,
      id,
      record.version,
      { name: unique("renamed") },
      ACTOR,
    );
    const read = await c.handlers.read(h.ctx, id, outs);
    expect(read).toMatchObject({ id, props: { name: renamed.name, recordVersion: 2 } });
    await h.store.delete("prod", c.kind, id, ACTOR);
    expect(await c.handlers.read(h.ctx, id, outs)).toEqual({ id: "", props: {} });
  });

  it("update writes in place at the next version, and refuses a record changed by someone else since", async () => {
    const { inputs, id, outs } = await create();
    const { news, field, value } = c.change(inputs);
    expect((await h.store.get("prod", c.kind, id))!.data[field]).not.toEqual(value);
    const { outs: after } = await c.handlers.update(h.ctx, id, outs, news);
    const record = (await h.store.get("prod", c.kind, id))!;
    expect(record.version).toBe(2);
    expect(record.data[field]).toEqual(value);
    expect(after).toMatchObject({ recordId: id, recordVersion: 2, [field]: value });
    // `outs` still says version 1: an update from it would overwrite the change just made.
    await expect(c.handlers.update(h.ctx, id, outs, news)).rejects.toThrow(/CONFLICT/);
    expect((await h.store.get("prod", c.kind, id))!.version).toBe(2);
  });

  it("delete removes the record, and a delete of a gone record succeeds", async () => {
    const { id, outs } = await create();
    await c.handlers.delete(h.ctx, id, outs);
    expect(await h.store.get("prod", c.kind, id)).toBeUndefined();
    await expect(c.handlers.delete(h.ctx, id, outs)).resolves.toBeUndefined();
  });

  it("a create retried after a crash adopts the record it wrote (same ownerUrn), never another's", async () => {
    const first = await create();
    // The engine lost the first create's answer (crash before the state write) and runs it again.
    const again = await c.handlers.create(h.ctx, first.inputs);
    expect(again.id).toBe(first.id);
    expect((await h.store.get("prod", c.kind, first.id))!.version).toBe(2);
    // Another resource of the same name: refused, and the record is left as it was.
    const other = { ...first.inputs, ownerUrn: urnOf(c.type, "someone-else") };
    await expect(c.handlers.create(h.ctx, other)).rejects.toThrow(
      new RegExp(`not written by this resource but by ${escape(String(first.inputs["ownerUrn"]))}`),
    );
    expect((await h.store.get("prod", c.kind, first.id))!.version).toBe(2);
  });

  it("a delete after an edit outside Pulumi fails with CONFLICT naming the record and `pulumi refresh`; after a refresh it deletes", async () => {
    const { id, outs } = await create();
    const record = (await h.store.get("prod", c.kind, id))!;
    expect(outs["ownerInstance"]).toBe(record.ownerInstance);
    await h.store.update("prod", c.kind, id, record.version, { data: { ...record.data, edited: 1 } }, ACTOR);
    const failure = c.handlers.delete(h.ctx, id, outs);
    await expect(failure).rejects.toThrow(/\[CONFLICT\]/);
    await expect(failure).rejects.toThrow(
      new RegExp(
        `"${escape(record.name)}" \\(id ${id}\\) in sandbox "prod" was changed outside Pulumi.*\`pulumi refresh\``,
      ),
    );
    expect((await h.store.get("prod", c.kind, id))!.version).toBe(2);
    // The fix as printed: refresh (read) takes the change in, and the delete then goes through.
    const refreshed = await c.handlers.read(h.ctx, id, outs);
    expect(refreshed.id).toBe(id);
    await c.handlers.delete(h.ctx, id, refreshed.props as Inputs);
    expect(await h.store.get("prod", c.kind, id)).toBeUndefined();
  });

  it("a pending delete of an instance a replacement took over (adopted) leaves the record; a refresh drops it", async () => {
    const old = await create();
    // The replacement's create finds the record of its name written by the same URN and adopts it.
    const replacement = await c.handlers.create(h.ctx, old.inputs);
    expect(replacement.id).toBe(old.id);
    const outs = replacement.outs as Inputs;
    expect(outs["ownerInstance"]).not.toBe(old.outs["ownerInstance"]);
    await expect(c.handlers.delete(h.ctx, old.id, old.outs)).resolves.toBeUndefined();
    expect(await h.store.get("prod", c.kind, old.id)).toMatchObject({ version: 2 });
    // A refresh of the pending delete must not hand it the live record's version.
    expect(await c.handlers.read(h.ctx, old.id, old.outs)).toEqual({ id: "", props: {} });
    expect((await c.handlers.read(h.ctx, old.id, outs)).id).toBe(old.id);
    await c.handlers.delete(h.ctx, old.id, outs);
    expect(await h.store.get("prod", c.kind, old.id)).toBeUndefined();
  });
});

describe("state and records from before instance marks (0.1)", () => {
  /** A record as 0.1 wrote it (no mark), and the state 0.1 kept for it. */
  async function legacy(): Promise<{ inputs: Inputs; id: string; outs: Inputs }> {
    const { account } = twilioAccount();
    const name = unique("legacy");
    const inputs = { ...twilioCredentialInputs(name, account), ownerUrn: urnOf("SmsApiCredential", name) };
    const record = await h.store.create(
      {
        sandbox: "prod",
        kind: "api-credential",
        name,
        credentialType: "twilio-sms",
        data: { accountSid: account.sid },
        secret: { authToken: account.authToken },
        ownerUrn: String(inputs["ownerUrn"]),
      },
      ACTOR,
    );
    const outs = {
      sandbox: "prod",
      name,
      ownerUrn: inputs["ownerUrn"],
      recordId: record.id,
      recordVersion: 1,
    };
    return { inputs, id: record.id, outs };
  }

  it("an edit outside Pulumi, then delete: CONFLICT, the record kept", async () => {
    const { id, outs } = await legacy();
    const before = await h.store.get("prod", "api-credential", id);
    await h.store.update("prod", "api-credential", id, 1, { data: { ...before?.data, edited: 1 } }, ACTOR);
    await expect(smsApiCredential.delete(h.ctx, id, outs)).rejects.toThrow(/\[CONFLICT\]/);
    expect(await h.store.get("prod", "api-credential", id)).toMatchObject({ version: 2 });
  });

  it("adopted by a replacement of this version: the old pending delete leaves it", async () => {
    const { inputs, id, outs } = await legacy();
    const adopted = await smsApiCredential.create(h.ctx, inputs);
    expect(adopted.id).toBe(id);
    await expect(smsApiCredential.delete(h.ctx, id, outs)).resolves.toBeUndefined();
    expect(await h.store.get("prod", "api-credential", id)).toMatchObject({ version: 2 });
  });

  it("an update marks the record and the state", async () => {
    const { inputs, id, outs } = await legacy();
    const { outs: after } = await smsApiCredential.update(h.ctx, id, outs, { ...inputs, sandbox: "prod" });
    const record = (await h.store.get("prod", "api-credential", id))!;
    expect(record.ownerInstance).toEqual(expect.any(String));
    expect((after as Inputs)["ownerInstance"]).toBe(record.ownerInstance);
    await smsApiCredential.delete(h.ctx, id, after as Inputs);
    expect(await h.store.get("prod", "api-credential", id)).toBeUndefined();
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
