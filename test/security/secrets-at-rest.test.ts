/**
 * Attacks on what the store keeps: guessing a secret from its fingerprint, moving a sealed secret
 * into another sandbox, keeping an old key alive, and a crash in the middle of `rekey`.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { ProviderContext } from "../../provider/handlers/context";
import { smsApiCredential } from "../../provider/handlers/smsApiCredential";
import { CoreStore, Keyring, keyIdOf, openEmbeddedStore, SqliteBackend, StoreError } from "../../store";
import { canonicalJson } from "../../store/crypto";
import { REPO_ROOT } from "../support/pulumi";
import { legacyFingerprintOf, writeLegacyStore, type LegacyRecord } from "./support";

const ACTOR = { actor: "test:security" };
const CLI = path.join(REPO_ROOT, "dist", "store", "server", "cli.js");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-sec-rest-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const keyText = (): string => Keyring.generateKeyText();
const idOf = (keyTextValue: string): string => keyIdOf(Buffer.from(keyTextValue, "base64"));
const credential = (name: string, authToken: string, sandbox = "prod") => ({
  sandbox,
  kind: "api-credential" as const,
  name,
  credentialType: "twilio-sms" as const,
  data: { accountSid: "AC00000000000000000000000000000000" },
  secret: { authToken },
});

describe("the fingerprint cannot be used to test guesses", () => {
  test("a weak secret is not found from its fingerprint by the dictionary that found it before", async () => {
    const store = await openEmbeddedStore({ path: path.join(dir, "store.db"), key: keyText() });
    try {
      const weak = "password1";
      const rec = await store.create(credential("weak", weak), ACTOR);
      const fp = rec.secretFingerprint!;
      expect(fp).toMatch(/^[0-9a-f]{16}$/);
      // The attack: hash guesses as the old (unsalted) fingerprint did, or as plain SHA-256.
      const dictionary = ["123456", "secret", "letmein", "hunter2", "password", "password1", "qwerty"];
      const hits = dictionary.filter(
        (g) =>
          legacyFingerprintOf({ authToken: g }) === fp ||
          createHash("sha256")
            .update(canonicalJson({ authToken: g }))
            .digest("hex")
            .startsWith(fp),
      );
      expect(hits).toEqual([]);
      // Another store (another fingerprint key) gives another fingerprint for the same secret.
      const other = await openEmbeddedStore({ path: path.join(dir, "other.db"), key: keyText() });
      expect((await other.create(credential("weak", weak), ACTOR)).secretFingerprint).not.toBe(fp);
      await other.close();
    } finally {
      await store.close();
    }
  });

  test("the fingerprint stays the same across key rotation and rekey", async () => {
    const file = path.join(dir, "store.db");
    const oldKey = keyText();
    const s1 = await openEmbeddedStore({ path: file, key: oldKey });
    const rec = await s1.create(credential("c", "tok-" + randomBytes(8).toString("hex")), ACTOR);
    await s1.close();
    const newKey = keyText();
    const s2 = new CoreStore(new SqliteBackend(file), Keyring.parse(`${newKey},${oldKey}`));
    await s2.rekey();
    await s2.close();
    const s3 = await openEmbeddedStore({ path: file, key: newKey });
    expect((await s3.get("prod", "api-credential", rec.id))?.secretFingerprint).toBe(rec.secretFingerprint);
    await s3.close();
  });
});

describe("upgrade from a store and state written by version 0.1", () => {
  test("legacy state fingerprint: no diff; the store re-seals on open and refresh brings the keyed one", async () => {
    const file = path.join(dir, "store.db");
    const key = keyText();
    const authToken = randomBytes(16).toString("hex");
    const legacy: LegacyRecord = {
      id: "cred_" + randomBytes(12).toString("hex"),
      sandbox: "prod",
      kind: "api-credential",
      name: "main",
      secret: { authToken },
    };
    writeLegacyStore(file, key, [legacy]);
    const legacyFp = legacyFingerprintOf({ authToken });
    const accountSid = `AC${randomBytes(16).toString("hex")}`;
    // State as 0.1 wrote it, and the same inputs again: diff needs no store and sees no change.
    const olds = {
      sandbox: "prod",
      name: "main",
      accountSid,
      vendor: "twilio",
      credentialType: "twilio-sms",
      secretFingerprint: legacyFp,
      recordId: legacy.id,
      recordVersion: 1,
    };
    const news = { name: "main", accountSid, authToken };
    const noContext = new Proxy({} as ProviderContext, {
      get(_t, key) {
        throw new Error(`diff used the provider context (${String(key)})`);
      },
    });
    expect(await smsApiCredential.diff(noContext, legacy.id, olds, news)).toMatchObject({ changes: false });

    const store = await openEmbeddedStore({ path: file, key });
    try {
      const raw = new Database(file, { readonly: true });
      const row = raw.prepare("SELECT secret_format AS f FROM records WHERE id = ?").get(legacy.id) as {
        f: number;
      };
      raw.close();
      expect(row.f).toBe(2);
      const now = await store.get("prod", "api-credential", legacy.id);
      expect(now?.version).toBe(1);
      expect(now?.secretFingerprint).not.toBe(legacyFp);
      expect(now?.secretFingerprint).toBe(await store.fingerprint("prod", "api-credential", { authToken }));
      expect(await store.readSecret("prod", "api-credential", legacy.id, ACTOR)).toEqual({ authToken });
    } finally {
      await store.close();
    }
  });
});

describe("sealed secrets are bound to their sandbox", () => {
  test("a row moved into another sandbox (someone with the database file) no longer opens", async () => {
    const file = path.join(dir, "store.db");
    const key = keyText();
    const store = await openEmbeddedStore({ path: file, key });
    const rec = await store.create(
      credential("c", "secret-" + randomBytes(8).toString("hex"), "prod"),
      ACTOR,
    );
    await store.close();
    const raw = new Database(file);
    raw.prepare("UPDATE records SET sandbox = 'dev' WHERE id = ?").run(rec.id);
    raw.close();
    const again = await openEmbeddedStore({ path: file, key });
    try {
      const e = await again.readSecret("dev", "api-credential", rec.id, ACTOR).catch((x: unknown) => x);
      expect(StoreError.is(e, "CORRUPT")).toBe(true);
    } finally {
      await again.close();
    }
  });
});

describe("rekey retires the old key", () => {
  test("after rekey the old key can be removed, is refused as current, and rows sealed with it are refused", async () => {
    const file = path.join(dir, "store.db");
    const oldKey = keyText();
    const s1 = await openEmbeddedStore({ path: file, key: oldKey });
    const recs = [];
    for (let i = 0; i < 5; i++)
      recs.push(await s1.create(credential(`c${i}`, `t${i}-${randomBytes(6).toString("hex")}`), ACTOR));
    await s1.close();
    // A backup row from before the rekey, to put back later.
    const raw = new Database(file);
    const backup = raw.prepare("SELECT * FROM records WHERE id = ?").get(recs[0]!.id) as Record<
      string,
      unknown
    >;
    raw.close();

    const newKey = keyText();
    const s2 = new CoreStore(new SqliteBackend(file), Keyring.parse(`${newKey},${oldKey}`));
    const result = await s2.rekey({ batchSize: 2 });
    await s2.close();
    expect(result).toMatchObject({ resealed: 5, currentKeyId: idOf(newKey), retiredKeyIds: [idOf(oldKey)] });

    const s3 = await openEmbeddedStore({ path: file, key: newKey });
    for (const r of recs) expect(await s3.readSecret("prod", "api-credential", r.id, ACTOR)).toBeDefined();
    await s3.close();
    // The retired key as the current one: refused, so nothing new is ever sealed with it again.
    const refused = await openEmbeddedStore({ path: file, key: `${oldKey},${newKey}` })
      .then(async (s) => {
        await s.create(credential("x", "y"), ACTOR).finally(() => s.close());
      })
      .catch((e: unknown) => e);
    expect(StoreError.is(refused, "KEY_MISSING")).toBe(true);
    // The backup row put back: refused even with the old key configured.
    const w = new Database(file);
    w.prepare(
      "UPDATE records SET secret_ciphertext = ?, secret_nonce = ?, secret_key_id = ?, secret_format = 1 WHERE id = ?",
    ).run(backup["secret_ciphertext"], backup["secret_nonce"], backup["secret_key_id"], recs[0]!.id);
    w.close();
    const s4 = new CoreStore(new SqliteBackend(file), Keyring.parse(`${newKey},${oldKey}`));
    const e = await s4.readSecret("prod", "api-credential", recs[0]!.id, ACTOR).catch((x: unknown) => x);
    expect(StoreError.isInstance(e)).toBe(true);
    await s4.close();
  });

  test("SIGKILL during `pulumi-sms-channels-store rekey`: every secret still opens, and a second run finishes", async () => {
    const file = path.join(dir, "store.db");
    const oldKey = keyText();
    const records: LegacyRecord[] = Array.from({ length: 3000 }, (_, i) => ({
      id: `cred_${i.toString().padStart(6, "0")}${randomBytes(6).toString("hex")}`,
      sandbox: "prod",
      kind: "api-credential",
      name: `c${i}`,
      secret: { authToken: `token-${i}` },
    }));
    writeLegacyStore(file, oldKey, records);
    const newKey = keyText();
    const env = { ...process.env, SMSCHANNELS_STORE_KEY: `${newKey},${oldKey}` };
    const child = spawn("node", [CLI, "rekey", "--database", file, "--batch-size", "5"], {
      env,
      stdio: "pipe",
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Kill it once some batches have committed and others have not.
    const watcher = new Database(file, { readonly: true, fileMustExist: true });
    const countNew = (): number =>
      (
        watcher.prepare("SELECT COUNT(*) AS n FROM records WHERE secret_key_id = ?").get(idOf(newKey)) as {
          n: number;
        }
      ).n;
    let seen = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        seen = countNew();
      } catch {
        seen = 0; // the schema migration may not have run yet
      }
      if (seen >= 50) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill("SIGKILL");
    await exited;
    const partly = countNew();
    watcher.close();
    expect(seen).toBeGreaterThanOrEqual(50);
    expect(partly).toBeLessThan(records.length);
    expect(partly % 5).toBe(0); // whole batches only

    const check = new Database(file);
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    check.close();
    // Both keys: everything opens, half old and half new.
    const mid = new CoreStore(new SqliteBackend(file), Keyring.parse(`${newKey},${oldKey}`));
    for (const i of [0, 1, 1500, 2999]) {
      expect(await mid.readSecret("prod", "api-credential", records[i]!.id, ACTOR)).toEqual({
        authToken: `token-${i}`,
      });
    }
    await mid.close();
    // Resume: the second run re-seals what is left, then the old key can go.
    const second = spawn("node", [CLI, "rekey", "--database", file], { env, stdio: "pipe" });
    let out = "";
    second.stdout.on("data", (d: Buffer) => (out += d.toString()));
    expect(await new Promise((resolve) => second.on("exit", resolve))).toBe(0);
    expect(out).toContain(`retired key(s) ${idOf(oldKey)}`);
    const after = await openEmbeddedStore({ path: file, key: newKey });
    for (const i of [0, 1, 1500, 2999]) {
      expect(await after.readSecret("prod", "api-credential", records[i]!.id, ACTOR)).toEqual({
        authToken: `token-${i}`,
      });
    }
    await after.close();
  }, 120_000);
});
