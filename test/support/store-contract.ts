/**
 * The shared store suite: what every CredentialStore must do, whoever implements it. Each harness
 * (SQLite, PostgreSQL, each directly and through the HTTP service) runs these same cases.
 */
import { randomBytes } from "node:crypto";
import { legacyFingerprint, StoreError, type RecordInput, type StoredRecord } from "../../store";
import { CASE_ACTOR, type HarnessFactory, type StoreHarness } from "./store-harness";

const actor = { actor: CASE_ACTOR };
/** A fresh secret per case: random, so no real credential is ever in a test. */
const secretText = (): string => randomBytes(16).toString("hex");
const sid = (prefix: string): string => prefix + randomBytes(16).toString("hex");

/** A Twilio credential's record data (valid, as the store requires) with fields of a test's own. */
export function credentialData(extra: Record<string, unknown>): Record<string, unknown> {
  return { accountSid: "AC00000000000000000000000000000000", ...extra };
}

export function twilioCredential(sandbox: string, name: string, authToken = secretText()): RecordInput {
  return {
    sandbox,
    kind: "api-credential",
    name,
    credentialType: "twilio-sms",
    data: { accountSid: sid("AC"), messagingServiceSid: sid("MG") },
    secret: { authToken },
  };
}

function rcsCredential(sandbox: string, name: string): RecordInput {
  return {
    sandbox,
    kind: "api-credential",
    name,
    credentialType: "custom-rcs",
    data: {
      providerName: "acme",
      providerUrl: "https://rcs.example.com/send",
      payloadTemplate: "{}",
      authType: "bearer",
    },
    secret: { auth: { type: "bearer", token: secretText() } },
  };
}

export function webhook(sandbox: string, name: string, credentialId: string): RecordInput {
  return {
    sandbox,
    kind: "webhook",
    name,
    data: { type: "inbound", apiCredentialId: credentialId },
    refs: [{ kind: "api-credential", id: credentialId }],
  };
}

function channel(
  sandbox: string,
  name: string,
  credentialId: string,
  ch = "sms",
  webhooks: string[] = [],
): RecordInput {
  return {
    sandbox,
    kind: "channel-configuration",
    name,
    data: {
      channel: ch,
      apiCredentialId: credentialId,
      messageType: "transactional",
      senderNumber: "+15005550006",
    },
    refs: [
      { kind: "api-credential", id: credentialId },
      ...webhooks.map((id) => ({ kind: "webhook" as const, id })),
    ],
  };
}

/** The StoreError `p` fails with; a test failure when it succeeds or throws something else. */
export async function failure(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    if (StoreError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a StoreError, but the call succeeded");
}

export function defineStoreContract(title: string, open: HarnessFactory): void {
  describe(title, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    test("create, get, findByName, list, update and delete a record; answers carry fingerprints, never secrets", async () => {
      const token = secretText();
      const created = await h.store.create(twilioCredential("prod", "main", token), actor);
      expect(created).toMatchObject({ sandbox: "prod", kind: "api-credential", name: "main", version: 1 });
      expect(created.secretFingerprint).toBe(
        await h.store.fingerprint("prod", "api-credential", { authToken: token }),
      );
      // Keyed: not the unsalted digest anyone could compute from a guess.
      expect(created.secretFingerprint).not.toBe(legacyFingerprint({ authToken: token }));
      expect(JSON.stringify(created)).not.toContain(token);
      expect(await h.store.get("prod", "api-credential", created.id)).toEqual(created);
      expect(await h.store.findByName("prod", "api-credential", "main")).toEqual(created);
      expect(await h.store.list("prod", "api-credential")).toEqual([created]);
      // The wrong sandbox or kind does not find it.
      expect(await h.store.get("dev", "api-credential", created.id)).toBeUndefined();
      expect(await h.store.get("prod", "webhook", created.id)).toBeUndefined();

      const newToken = secretText();
      const updated = await h.store.update(
        "prod",
        "api-credential",
        created.id,
        1,
        { data: credentialData({ a: 1 }), secret: { authToken: newToken } },
        actor,
      );
      expect(updated).toMatchObject({
        version: 2,
        data: credentialData({ a: 1 }),
        secretFingerprint: await h.store.fingerprint("prod", "api-credential", { authToken: newToken }),
      });
      expect(await h.store.readSecret("prod", "api-credential", created.id, actor)).toEqual({
        authToken: newToken,
      });

      expect(await h.store.delete("prod", "api-credential", created.id, actor)).toBe("deleted");
      expect(await h.store.get("prod", "api-credential", created.id)).toBeUndefined();
      expect(await h.store.delete("prod", "api-credential", created.id, actor)).toBe("absent");
      expect(await h.store.readSecret("prod", "api-credential", created.id, actor)).toBeUndefined();
    });

    test("list is ordered by name and keeps data byte for byte", async () => {
      const data = {
        z: 1,
        a: { y: [1, 2.5, "x"], b: null },
        unicode: "é 😀",
        accountSid: "AC00000000000000000000000000000000",
      };
      for (const name of ["b", "A", "a"]) {
        await h.store.create(
          { sandbox: "prod", kind: "api-credential", name, credentialType: "twilio-sms", data },
          actor,
        );
      }
      const list = await h.store.list("prod", "api-credential");
      expect(list.map((r) => r.name)).toEqual(["A", "a", "b"]);
      expect(JSON.stringify(list[0]?.data)).toBe(JSON.stringify(data));
    });

    test("names are unique per sandbox and kind", async () => {
      const first = await h.store.create(twilioCredential("prod", "main"), actor);
      const e = await failure(h.store.create(twilioCredential("prod", "main"), actor));
      expect(e.code).toBe("ALREADY_EXISTS");
      expect(e.details?.["id"]).toBe(first.id);
      await h.store.create(twilioCredential("dev", "main"), actor);
      await h.store.create(webhook("prod", "main", first.id), actor);
      expect(await h.store.list("prod", "api-credential")).toHaveLength(1);
    });

    test("an update at a stale version is a conflict and changes nothing", async () => {
      const r = await h.store.create(twilioCredential("prod", "main"), actor);
      await h.store.update("prod", "api-credential", r.id, 1, { data: credentialData({ n: 1 }) }, actor);
      const e = await failure(
        h.store.update("prod", "api-credential", r.id, 1, { data: credentialData({ n: 2 }) }, actor),
      );
      expect(e.code).toBe("CONFLICT");
      expect(e.details?.["currentVersion"]).toBe(2);
      expect((await h.store.get("prod", "api-credential", r.id))?.data).toEqual({
        accountSid: "AC00000000000000000000000000000000",
        n: 1,
      });
      expect(
        (await failure(h.store.update("prod", "api-credential", "cred_nothere", 1, {}, actor))).code,
      ).toBe("NOT_FOUND");
    });

    test("an update renames a record (with its data and secret); the new name must be free", async () => {
      const r = await h.store.create(twilioCredential("prod", "main"), actor);
      await h.store.create(twilioCredential("prod", "taken"), actor);
      const renamed = await h.store.update(
        "prod",
        "api-credential",
        r.id,
        1,
        {
          name: "renamed",
          data: credentialData({ n: 1 }),
          secret: { authToken: secretText() },
        },
        actor,
      );
      expect(renamed).toMatchObject({ name: "renamed", version: 2, data: { n: 1 } });
      expect((await h.store.findByName("prod", "api-credential", "renamed"))?.id).toBe(r.id);
      expect(await h.store.findByName("prod", "api-credential", "main")).toBeUndefined();
      const e = await failure(h.store.update("prod", "api-credential", r.id, 2, { name: "taken" }, actor));
      expect(e.code).toBe("ALREADY_EXISTS");
      expect(e.field).toBe("name");
    });

    test("a delete that names a stale version is a conflict and deletes nothing; the current one deletes", async () => {
      const r = await h.store.create(twilioCredential("prod", "main"), actor);
      await h.store.update("prod", "api-credential", r.id, 1, { data: credentialData({ n: 1 }) }, actor);
      const e = await failure(
        h.store.delete("prod", "api-credential", r.id, { ...actor, expectedVersion: 1 }),
      );
      expect(e.code).toBe("CONFLICT");
      expect(e.details?.["currentVersion"]).toBe(2);
      expect(await h.store.get("prod", "api-credential", r.id)).toBeDefined();
      expect(await h.store.delete("prod", "api-credential", r.id, { ...actor, expectedVersion: 2 })).toBe(
        "deleted",
      );
      expect(await h.store.delete("prod", "api-credential", r.id, { ...actor, expectedVersion: 2 })).toBe(
        "absent",
      );
    });

    test("the owner's URN and instance are kept at create, and an update replaces the instance only when it names one", async () => {
      const urn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/smschannels:SmsApiCredential::main";
      const r = await h.store.create(
        { ...twilioCredential("prod", "main"), ownerUrn: urn, ownerInstance: "first" },
        actor,
      );
      expect(r).toMatchObject({ ownerUrn: urn, ownerInstance: "first" });
      const edited = await h.store.update(
        "prod",
        "api-credential",
        r.id,
        1,
        { data: { ...r.data, n: 1 } },
        actor,
      );
      expect(edited).toMatchObject({ ownerUrn: urn, ownerInstance: "first" });
      const adopted = await h.store.update(
        "prod",
        "api-credential",
        r.id,
        2,
        { ownerInstance: "second" },
        actor,
      );
      expect(await h.store.get("prod", "api-credential", r.id)).toEqual(adopted);
      expect(adopted).toMatchObject({ ownerUrn: urn, ownerInstance: "second", version: 3 });
      // A record written without one (before 0.2) has none.
      expect(await h.store.create(twilioCredential("prod", "other"), actor)).not.toHaveProperty(
        "ownerInstance",
      );
    });

    test("a credential in use cannot be deleted, and the error names its users", async () => {
      const cred = await h.store.create(twilioCredential("prod", "main"), actor);
      const hook = await h.store.create(webhook("prod", "inbound-hook", cred.id), actor);
      const chan = await h.store.create(channel("prod", "alerts", cred.id, "sms", [hook.id]), actor);
      const e = await failure(h.store.delete("prod", "api-credential", cred.id, actor));
      expect(e.code).toBe("IN_USE");
      expect(e.message).toContain('"inbound-hook"');
      expect(e.message).toContain('"alerts"');
      expect((e.details?.["usedBy"] as { id: string }[]).map((u) => u.id).sort()).toEqual(
        [chan.id, hook.id].sort(),
      );
      expect((await failure(h.store.delete("prod", "webhook", hook.id, actor))).code).toBe("IN_USE");
      expect(await h.store.delete("prod", "channel-configuration", chan.id, actor)).toBe("deleted");
      expect(await h.store.delete("prod", "webhook", hook.id, actor)).toBe("deleted");
      expect(await h.store.delete("prod", "api-credential", cred.id, actor)).toBe("deleted");
    });

    test("an rcs channel refuses a twilio-sms credential, and nothing is written", async () => {
      const sms = await h.store.create(twilioCredential("prod", "sms"), actor);
      const before = (await h.core.auditLog(1000)).length;
      const e = await failure(h.store.create(channel("prod", "rcs-chan", sms.id, "rcs"), actor));
      expect(e.code).toBe("RULE_VIOLATION");
      expect(e.field).toBe("apiCredential");
      expect(await h.store.list("prod", "channel-configuration")).toEqual([]);
      expect(await h.core.auditLog(1000)).toHaveLength(before);
      // Nor can an sms channel be switched to rcs while it holds the twilio credential.
      const ok = await h.store.create(channel("prod", "sms-chan", sms.id), actor);
      const e2 = await failure(
        h.store.update(
          "prod",
          "channel-configuration",
          ok.id,
          1,
          { data: { ...ok.data, channel: "rcs" } },
          actor,
        ),
      );
      expect(e2.code).toBe("RULE_VIOLATION");
      const rcs = await h.store.create(rcsCredential("prod", "rcs"), actor);
      await h.store.create(channel("prod", "rcs-chan", rcs.id, "rcs"), actor);
    });

    test("references across sandboxes are refused as if absent (no name leaks), and nothing is written", async () => {
      const cred = await h.store.create(twilioCredential("prod", "main"), actor);
      const e = await failure(h.store.create(webhook("dev", "hook", cred.id), actor));
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).not.toContain('"main"');
      expect(e.message).not.toContain('sandbox "prod"');
      expect(await h.store.list("dev", "webhook")).toEqual([]);
      const missing = await failure(
        h.store.create(webhook("prod", "hook", "cred_000000000000000000000000"), actor),
      );
      expect(missing.code).toBe("NOT_FOUND");
    });

    test("secrets are encrypted at rest: the raw tables never hold one in clear", async () => {
      const token = secretText();
      const r = await h.store.create(twilioCredential("prod", "main", token), actor);
      const raw = await h.rawSecret(r.id);
      expect(raw?.keyId).toBe(h.keyring.currentKeyId);
      expect(raw?.ciphertext?.length).toBeGreaterThan(16);
      expect(raw?.ciphertext?.toString("latin1")).not.toContain(token);
      expect(await h.rawDump()).not.toContain(token);
      expect(await h.store.readSecret("prod", "api-credential", r.id, actor)).toEqual({ authToken: token });
    });

    test("a create retried with its Idempotency-Key returns the first answer; another body under the key is refused", async () => {
      const key = `key-${secretText()}`;
      const input = twilioCredential("prod", "main");
      const first = await h.store.create(input, { ...actor, idempotencyKey: key });
      const again = await h.store.create(input, { ...actor, idempotencyKey: key });
      expect(again.id).toBe(first.id);
      expect(await h.store.list("prod", "api-credential")).toHaveLength(1);
      const e = await failure(h.store.create({ ...input, name: "other" }, { ...actor, idempotencyKey: key }));
      expect(e.code).toBe("CONFLICT");
    });

    test("the audit log names who did what, secret reads included, and never holds a secret", async () => {
      const token = secretText();
      const r = await h.store.create(twilioCredential("prod", "main", token), actor);
      await h.store.update("prod", "api-credential", r.id, 1, { secret: { authToken: secretText() } }, actor);
      await h.store.readSecret("prod", "api-credential", r.id, actor);
      await h.store.delete("prod", "api-credential", r.id, actor);
      const log = (await h.core.auditLog(100)).filter((e) => e.recordId === r.id);
      expect(log.map((e) => [e.action, e.version, e.actor])).toEqual([
        ["create", 1, h.actor],
        ["update", 2, h.actor],
        ["read-secret", 2, h.actor],
        ["delete", 2, h.actor],
      ]);
      expect(JSON.stringify(log)).not.toContain(token);
    });

    test("concurrent writers of one record: exactly one wins, the others conflict", async () => {
      const r = await h.store.create(twilioCredential("prod", "main"), actor);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          h.store.update("prod", "api-credential", r.id, 1, { data: credentialData({ writer: i }) }, actor),
        ),
      );
      const won = results.filter((x): x is PromiseFulfilledResult<StoredRecord> => x.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const x of results)
        if (x.status === "rejected") expect((x.reason as StoreError).code).toBe("CONFLICT");
      expect(await h.store.get("prod", "api-credential", r.id)).toMatchObject({
        version: 2,
        data: won[0]?.value.data,
      });
    });

    test("concurrent creates: one name gives one record; one Idempotency-Key gives one answer", async () => {
      const named = await Promise.allSettled(
        Array.from({ length: 6 }, () => h.store.create(twilioCredential("prod", "same"), actor)),
      );
      expect(named.filter((x) => x.status === "fulfilled")).toHaveLength(1);
      for (const x of named)
        if (x.status === "rejected") expect((x.reason as StoreError).code).toBe("ALREADY_EXISTS");

      for (let round = 0; round < 3; round++) {
        const input = twilioCredential("prod", `keyed-${round}`);
        const key = `key-${secretText()}`;
        const keyed = await Promise.all(
          Array.from({ length: 6 }, () => h.store.create(input, { ...actor, idempotencyKey: key })),
        );
        expect(new Set(keyed.map((r) => r.id)).size).toBe(1);
      }
    });

    test("a delete racing a create that refers to the record: never both", async () => {
      for (let round = 0; round < 5; round++) {
        const cred = await h.store.create(twilioCredential("prod", `c${round}`), actor);
        const [del, made] = await Promise.allSettled([
          h.store.delete("prod", "api-credential", cred.id, actor),
          h.store.create(webhook("prod", `w${round}`, cred.id), actor),
        ]);
        if (made.status === "fulfilled") {
          expect(del.status === "rejected" && (del.reason as StoreError).code).toBe("IN_USE");
        } else {
          expect((made.reason as StoreError).code).toBe("NOT_FOUND");
          expect(del).toMatchObject({ status: "fulfilled", value: "deleted" });
        }
      }
    });
  });
}
