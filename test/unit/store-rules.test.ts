/**
 * The contract's rules, enforced by the store itself (CoreStore over SQLite): rcs channels take a
 * custom-rcs credential only, one sandbox per reference graph, no deleting what is in use, unique
 * names, renames, and idempotent creates.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { CoreStore } from "../../store/core";
import { Keyring } from "../../store/crypto";
import { StoreError, type StoreErrorCode } from "../../store/errors";
import { SqliteBackend } from "../../store/sqlite/backend";
import type { CredentialType, RecordInput, RecordRef, StoredRecord } from "../../store/types";

const ACTOR = { actor: "test:rules" };

let root: string;
let store: CoreStore;
let db: Database.Database;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-rules-"));
});

beforeEach(() => {
  const file = path.join(root, `${randomBytes(6).toString("hex")}.db`);
  store = new CoreStore(new SqliteBackend(file), Keyring.parse(Keyring.generateKeyText()));
  db = new Database(file);
});

afterEach(async () => {
  db.close();
  await store.close();
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

async function storeError(p: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!StoreError.isInstance(e))
    throw new Error(
      `expected StoreError ${code}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
  expect(e.code).toBe(code);
  return e;
}

/** Row counts of every table a write touches. */
function counts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ["records", "record_refs", "audit_log", "idempotency_keys"]) {
    out[t] = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  }
  return out;
}

function credential(
  name: string,
  type: CredentialType,
  sandbox = "prod",
  extra: Partial<RecordInput> = {},
): Promise<StoredRecord> {
  return store.create(
    {
      sandbox,
      kind: "api-credential",
      name,
      credentialType: type,
      data:
        type === "twilio-sms"
          ? { accountSid: `AC${randomBytes(16).toString("hex")}` }
          : {
              providerName: "acme-rcs",
              providerUrl: "https://rcs.example.com/send",
              payloadTemplate: "{}",
              authType: "bearer",
            },
      secret: { token: randomBytes(16).toString("hex") },
      ...extra,
    },
    ACTOR,
  );
}

function webhookInput(name: string, cred: StoredRecord, sandbox = "prod"): RecordInput {
  return {
    sandbox,
    kind: "webhook",
    name,
    data: { type: "inbound", apiCredentialId: cred.id },
    refs: [{ kind: "api-credential", id: cred.id }],
  };
}

function channelInput(
  name: string,
  channel: "sms" | "mms" | "rcs",
  cred: StoredRecord,
  sandbox = "prod",
  webhooks: StoredRecord[] = [],
): RecordInput {
  const refs: RecordRef[] = [
    { kind: "api-credential", id: cred.id },
    ...webhooks.map((w) => ({ kind: "webhook" as const, id: w.id })),
  ];
  return {
    sandbox,
    kind: "channel-configuration",
    name,
    data: { channel, messageType: "transactional", apiCredentialId: cred.id, senderNumber: "+15005550006" },
    refs,
  };
}

describe("rcs channels take a custom-rcs credential only", () => {
  it("refuses an rcs channel on a twilio-sms credential, naming apiCredential, and writes nothing", async () => {
    const cred = await credential("twilio", "twilio-sms");
    const before = counts();
    const e = await storeError(
      store.create(channelInput("rcs-on-sms", "rcs", cred), ACTOR),
      "RULE_VIOLATION",
    );
    expect(e.field).toBe("apiCredential");
    expect(e.message).toMatch(/^apiCredential: /);
    expect(e.message).toContain('"rcs-on-sms" is an rcs channel');
    expect(e.message).toContain(cred.id);
    expect(e.message).toContain("twilio-sms");
    expect(e.message).toContain("custom-rcs");
    expect(e.details).toEqual({ credentialId: cred.id, credentialType: "twilio-sms" });
    expect(counts()).toEqual(before);
    expect(await store.findByName("prod", "channel-configuration", "rcs-on-sms")).toBeUndefined();
  });

  it("accepts an rcs channel on a custom-rcs credential", async () => {
    const cred = await credential("custom", "custom-rcs");
    const chan = await store.create(channelInput("rcs-ok", "rcs", cred), ACTOR);
    expect(chan.version).toBe(1);
    expect(chan.refs).toEqual([{ kind: "api-credential", id: cred.id }]);
    expect(await store.get("prod", "channel-configuration", chan.id)).toEqual(chan);
  });

  it("accepts sms and mms channels on either credential type", async () => {
    const sms = await credential("twilio", "twilio-sms");
    const rcs = await credential("custom", "custom-rcs");
    for (const [i, [channel, cred]] of (
      [
        ["sms", sms],
        ["mms", sms],
        ["sms", rcs],
      ] as const
    ).entries()) {
      expect((await store.create(channelInput(`ch-${i}`, channel, cred), ACTOR)).version).toBe(1);
    }
  });

  it("refuses turning an sms channel on a twilio-sms credential into rcs, keeping the record as it was", async () => {
    const cred = await credential("twilio", "twilio-sms");
    const chan = await store.create(channelInput("becomes-rcs", "sms", cred), ACTOR);
    const before = counts();
    const e = await storeError(
      store.update(
        "prod",
        "channel-configuration",
        chan.id,
        1,
        { data: { ...chan.data, channel: "rcs", messageType: "marketing" } },
        ACTOR,
      ),
      "RULE_VIOLATION",
    );
    expect(e.field).toBe("apiCredential");
    expect(counts()).toEqual(before);
    expect(await store.get("prod", "channel-configuration", chan.id)).toEqual(chan);
  });

  it("refuses re-pointing an rcs channel at a twilio-sms credential", async () => {
    const custom = await credential("custom", "custom-rcs");
    const twilio = await credential("twilio", "twilio-sms");
    const chan = await store.create(channelInput("rcs", "rcs", custom), ACTOR);
    await storeError(
      store.update(
        "prod",
        "channel-configuration",
        chan.id,
        1,
        { refs: [{ kind: "api-credential", id: twilio.id }] },
        ACTOR,
      ),
      "RULE_VIOLATION",
    );
    expect((await store.get("prod", "channel-configuration", chan.id))?.refs).toEqual([
      { kind: "api-credential", id: custom.id },
    ]);
  });
});

describe("one sandbox per reference (another sandbox's record is answered as absent)", () => {
  it("refuses a webhook referring to a credential of another sandbox, as if it did not exist", async () => {
    const cred = await credential("prod-cred", "twilio-sms", "prod");
    const before = counts();
    const e = await storeError(store.create(webhookInput("dev-hook", cred, "dev"), ACTOR), "NOT_FOUND");
    expect(e.field).toBe("apiCredential");
    expect(e.message).toBe(`apiCredential: api-credential ${cred.id} does not exist in sandbox "dev"`);
    expect(e.message).not.toContain("prod-cred");
    expect(counts()).toEqual(before);
  });

  it("refuses a channel referring to a webhook of another sandbox, naming webhooks", async () => {
    const devCred = await credential("c", "twilio-sms", "dev");
    const prodCred = await credential("c", "twilio-sms", "prod");
    const prodHook = await store.create(webhookInput("h", prodCred, "prod"), ACTOR);
    const e = await storeError(
      store.create(channelInput("ch", "sms", devCred, "dev", [prodHook]), ACTOR),
      "NOT_FOUND",
    );
    expect(e.field).toBe("webhooks");
    expect(e.message).toMatch(/^webhooks: /);
    expect(e.message).toContain(prodHook.id);
  });

  it("refuses an update that points a record across sandboxes", async () => {
    const devCred = await credential("c", "twilio-sms", "dev");
    const prodCred = await credential("c", "twilio-sms", "prod");
    const hook = await store.create(webhookInput("h", devCred, "dev"), ACTOR);
    await storeError(
      store.update(
        "dev",
        "webhook",
        hook.id,
        1,
        { refs: [{ kind: "api-credential", id: prodCred.id }] },
        ACTOR,
      ),
      "NOT_FOUND",
    );
    expect((await store.get("dev", "webhook", hook.id))?.refs).toEqual([
      { kind: "api-credential", id: devCred.id },
    ]);
  });

  it("accepts a full graph within one sandbox", async () => {
    const cred = await credential("c", "custom-rcs", "staging");
    const hook = await store.create(webhookInput("h", cred, "staging"), ACTOR);
    const chan = await store.create(channelInput("ch", "rcs", cred, "staging", [hook]), ACTOR);
    expect(chan.refs).toEqual([
      { kind: "api-credential", id: cred.id },
      { kind: "webhook", id: hook.id },
    ]);
  });

  it("refuses a reference to a record that does not exist, or is of another kind", async () => {
    const cred = await credential("c", "twilio-sms");
    const hook = await store.create(webhookInput("h", cred), ACTOR);
    const missing = await storeError(
      store.create(
        {
          ...webhookInput("h2", cred),
          refs: [{ kind: "api-credential", id: "cred_000000000000000000000000" }],
        },
        ACTOR,
      ),
      "NOT_FOUND",
    );
    expect(missing.field).toBe("apiCredential");
    expect(missing.message).toContain("cred_000000000000000000000000");
    // A webhook's id given as a credential.
    await storeError(
      store.create({ ...webhookInput("h3", cred), refs: [{ kind: "api-credential", id: hook.id }] }, ACTOR),
      "NOT_FOUND",
    );
  });

  it("records of one sandbox are invisible from another", async () => {
    const cred = await credential("c", "twilio-sms", "prod");
    expect(await store.get("dev", "api-credential", cred.id)).toBeUndefined();
    expect(await store.get("prod", "webhook", cred.id)).toBeUndefined();
    expect(await store.findByName("dev", "api-credential", "c")).toBeUndefined();
    expect(await store.list("dev", "api-credential")).toEqual([]);
    expect((await store.list("prod", "api-credential")).map((r) => r.id)).toEqual([cred.id]);
    expect(await store.readSecret("dev", "api-credential", cred.id, ACTOR)).toBeUndefined();
  });
});

describe("deleting", () => {
  it("refuses deleting a credential still in use, naming its users", async () => {
    const cred = await credential("in-use", "twilio-sms");
    const hook = await store.create(webhookInput("inbound-hook", cred), ACTOR);
    const chan = await store.create(channelInput("marketing-sms", "sms", cred, "prod", [hook]), ACTOR);
    const before = counts();
    const e = await storeError(store.delete("prod", "api-credential", cred.id, ACTOR), "IN_USE");
    expect(e.message).toContain(`channel-configuration "marketing-sms" (id ${chan.id})`);
    expect(e.message).toContain(`webhook "inbound-hook" (id ${hook.id})`);
    expect(e.details).toEqual({
      usedBy: [
        { kind: "channel-configuration", id: chan.id, name: "marketing-sms", sandbox: "prod" },
        { kind: "webhook", id: hook.id, name: "inbound-hook", sandbox: "prod" },
      ],
    });
    expect(counts()).toEqual(before);
    expect(await store.get("prod", "api-credential", cred.id)).toBeDefined();
    // A webhook a channel uses is in use too.
    const e2 = await storeError(store.delete("prod", "webhook", hook.id, ACTOR), "IN_USE");
    expect(e2.details).toEqual({
      usedBy: [{ kind: "channel-configuration", id: chan.id, name: "marketing-sms", sandbox: "prod" }],
    });
  });

  it("allows the delete once the users are gone, users first", async () => {
    const cred = await credential("c", "twilio-sms");
    const hook = await store.create(webhookInput("h", cred), ACTOR);
    const chan = await store.create(channelInput("ch", "sms", cred, "prod", [hook]), ACTOR);
    expect(await store.delete("prod", "channel-configuration", chan.id, ACTOR)).toBe("deleted");
    const e = await storeError(store.delete("prod", "api-credential", cred.id, ACTOR), "IN_USE");
    expect(e.details).toEqual({ usedBy: [{ kind: "webhook", id: hook.id, name: "h", sandbox: "prod" }] });
    expect(await store.delete("prod", "webhook", hook.id, ACTOR)).toBe("deleted");
    expect(await store.delete("prod", "api-credential", cred.id, ACTOR)).toBe("deleted");
    expect(counts()).toMatchObject({ records: 0, record_refs: 0 });
  });

  it("a channel no longer referring to a credential frees it", async () => {
    const a = await credential("a", "twilio-sms");
    const b = await credential("b", "twilio-sms");
    const chan = await store.create(channelInput("ch", "sms", a), ACTOR);
    await store.update(
      "prod",
      "channel-configuration",
      chan.id,
      1,
      { refs: [{ kind: "api-credential", id: b.id }] },
      ACTOR,
    );
    expect(await store.delete("prod", "api-credential", a.id, ACTOR)).toBe("deleted");
    await storeError(store.delete("prod", "api-credential", b.id, ACTOR), "IN_USE");
  });

  it('deleting an absent record answers "absent", also in the wrong sandbox or kind, and removes nothing', async () => {
    const cred = await credential("c", "twilio-sms");
    expect(await store.delete("prod", "api-credential", "cred_ffffffffffffffffffffffff", ACTOR)).toBe(
      "absent",
    );
    expect(await store.delete("dev", "api-credential", cred.id, ACTOR)).toBe("absent");
    expect(await store.delete("prod", "webhook", cred.id, ACTOR)).toBe("absent");
    expect(await store.get("prod", "api-credential", cred.id)).toBeDefined();
    expect(await store.delete("prod", "api-credential", cred.id, ACTOR)).toBe("deleted");
    expect(await store.delete("prod", "api-credential", cred.id, ACTOR)).toBe("absent");
  });
});

describe("unique names per sandbox and kind", () => {
  it("refuses a second record of the same sandbox, kind and name, with the owner's URN", async () => {
    const ownerUrn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/smschannels:SmsApiCredential::first";
    const first = await credential("dup", "twilio-sms", "prod", { ownerUrn });
    const before = counts();
    const e = await storeError(credential("dup", "custom-rcs"), "ALREADY_EXISTS");
    expect(e.field).toBe("name");
    expect(e.message).toContain(`api-credential "dup" (id ${first.id}) already exists in sandbox "prod"`);
    expect(e.details).toEqual({ id: first.id, ownerUrn, version: 1 });
    expect(counts()).toEqual(before);
  });

  it("the same name is free in another sandbox and for another kind", async () => {
    const cred = await credential("same", "twilio-sms", "prod");
    expect((await credential("same", "twilio-sms", "dev")).name).toBe("same");
    expect((await store.create(webhookInput("same", cred), ACTOR)).name).toBe("same");
  });

  it("refuses renaming onto a taken name, and allows a free one", async () => {
    const a = await credential("alpha", "twilio-sms");
    const b = await credential("beta", "twilio-sms");
    const e = await storeError(
      store.update("prod", "api-credential", b.id, 1, { name: "alpha" }, ACTOR),
      "ALREADY_EXISTS",
    );
    expect(e.field).toBe("name");
    expect(e.message).toContain(a.id);
    expect((await store.get("prod", "api-credential", b.id))?.name).toBe("beta");
    // Keeping its own name is no conflict.
    expect(
      (
        await store.update(
          "prod",
          "api-credential",
          b.id,
          1,
          { name: "beta", data: { accountSid: "AC00000000000000000000000000000000", x: 1 } },
          ACTOR,
        )
      ).version,
    ).toBe(2);
    const renamed = await store.update("prod", "api-credential", b.id, 2, { name: "gamma" }, ACTOR);
    expect(renamed.name).toBe("gamma");
    expect((await store.findByName("prod", "api-credential", "gamma"))?.id).toBe(b.id);
    expect(await store.findByName("prod", "api-credential", "beta")).toBeUndefined();
    // The old name is free again.
    expect((await credential("beta", "custom-rcs")).id).not.toBe(b.id);
  });
});

describe("idempotent creates", () => {
  function input(name: string, token: string): RecordInput {
    return {
      sandbox: "prod",
      kind: "api-credential",
      name,
      credentialType: "twilio-sms",
      data: { accountSid: "AC00000000000000000000000000000000" },
      secret: { authToken: token },
    };
  }

  it("a replay with the same key and body returns the first record and writes nothing more", async () => {
    const key = randomBytes(12).toString("hex");
    const token = randomBytes(16).toString("hex");
    const first = await store.create(input("idem", token), { actor: "a", idempotencyKey: key });
    const before = counts();
    const again = await store.create(input("idem", token), { actor: "b", idempotencyKey: key });
    expect(again).toEqual(first);
    expect(counts()).toEqual(before);
    // Key order in data does not matter.
    const reordered: RecordInput = {
      secret: { authToken: token },
      data: { accountSid: "AC00000000000000000000000000000000" },
      credentialType: "twilio-sms",
      name: "idem",
      kind: "api-credential",
      sandbox: "prod",
    };
    expect((await store.create(reordered, { actor: "c", idempotencyKey: key })).id).toBe(first.id);
  });

  it("the replay answers the record as it is now", async () => {
    const key = randomBytes(12).toString("hex");
    const token = randomBytes(16).toString("hex");
    const first = await store.create(input("idem", token), { actor: "a", idempotencyKey: key });
    await store.update(
      "prod",
      "api-credential",
      first.id,
      1,
      { data: { accountSid: "AC00000000000000000000000000000000", changed: true } },
      ACTOR,
    );
    const again = await store.create(input("idem", token), { actor: "a", idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect(again.version).toBe(2);
  });

  it("a reused key with a different body is a CONFLICT, naming idempotencyKey", async () => {
    const key = randomBytes(12).toString("hex");
    const token = randomBytes(16).toString("hex");
    await store.create(input("idem", token), { actor: "a", idempotencyKey: key });
    const before = counts();
    const e = await storeError(
      store.create(input("other-name", token), { actor: "a", idempotencyKey: key }),
      "CONFLICT",
    );
    expect(e.field).toBe("idempotencyKey");
    expect(e.message).toMatch(/already used for a different create request/);
    // Only the secret differs: still another request.
    const e2 = await storeError(
      store.create(input("idem", `${token}x`), { actor: "a", idempotencyKey: key }),
      "CONFLICT",
    );
    expect(e2.message).not.toContain(token);
    expect(counts()).toEqual(before);
  });

  it("without a key, the same create twice is ALREADY_EXISTS; another key for the same name too", async () => {
    const token = randomBytes(16).toString("hex");
    await store.create(input("plain", token), ACTOR);
    await storeError(store.create(input("plain", token), ACTOR), "ALREADY_EXISTS");
    await storeError(
      store.create(input("plain", token), { actor: "a", idempotencyKey: "fresh-key" }),
      "ALREADY_EXISTS",
    );
    expect(counts()["idempotency_keys"]).toBe(0);
  });

  it("a replay after the record was deleted is NOT_FOUND, not a silent re-create", async () => {
    const key = randomBytes(12).toString("hex");
    const token = randomBytes(16).toString("hex");
    const first = await store.create(input("gone", token), { actor: "a", idempotencyKey: key });
    await store.delete("prod", "api-credential", first.id, ACTOR);
    const e = await storeError(
      store.create(input("gone", token), { actor: "a", idempotencyKey: key }),
      "NOT_FOUND",
    );
    expect(e.message).toContain(first.id);
    expect(await store.findByName("prod", "api-credential", "gone")).toBeUndefined();
  });
});

describe("input shape", () => {
  it.each([
    ["a bad sandbox", { sandbox: "Prod" }, "sandbox"],
    ["an api-credential without a credentialType", { credentialType: undefined }, "credentialType"],
    ["an unknown credentialType", { credentialType: "whatsapp" }, "credentialType"],
    ["an empty name", { name: "" }, "name"],
    ["data that is not an object", { data: [] }, "data"],
  ] as const)("refuses %s as INVALID_INPUT naming the field", async (_label, patch, field) => {
    const base: Record<string, unknown> = {
      sandbox: "prod",
      kind: "api-credential",
      name: "x",
      credentialType: "twilio-sms",
      data: { accountSid: "AC00000000000000000000000000000000" },
    };
    const e = await storeError(
      store.create({ ...base, ...patch } as unknown as RecordInput, ACTOR),
      "INVALID_INPUT",
    );
    expect(e.field).toBe(field);
    expect(counts()["records"]).toBe(0);
  });

  it("a webhook or channel refers to exactly one credential, and a credential to nothing", async () => {
    const a = await credential("a", "twilio-sms");
    const b = await credential("b", "twilio-sms");
    const none = await storeError(
      store.create({ ...webhookInput("h", a), refs: [] }, ACTOR),
      "INVALID_INPUT",
    );
    expect(none.field).toBe("apiCredential");
    await storeError(
      store.create(
        {
          ...channelInput("ch", "sms", a),
          refs: [
            { kind: "api-credential", id: a.id },
            { kind: "api-credential", id: b.id },
          ],
        },
        ACTOR,
      ),
      "INVALID_INPUT",
    );
    const e = await storeError(
      credential("c", "twilio-sms", "prod", { refs: [{ kind: "api-credential", id: a.id }] }),
      "INVALID_INPUT",
    );
    expect(e.field).toBe("refs");
  });
});
