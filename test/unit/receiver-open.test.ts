/**
 * The receiver's store and keys on an embedded (SQLite) store (store/receiver/open.ts), as the quick
 * start orders things: the receiver may start before the stack's first `pulumi up` (an attached
 * webhook needs it answering), so it makes the store file, and reads the key file that the provider
 * makes with the first secret when it first needs a secret. A read command never makes a store, and a
 * store that holds secrets without its key file is refused at once.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keyring } from "../../store/crypto";
import { keyFileFor, openEmbeddedStore, readKeyFile } from "../../store/embedded";
import { openLedger, receiverKeyring } from "../../store/receiver/open";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-receiver-open-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A credential with a secret, written as the provider writes it (which makes the key file). */
async function provisionAsProvider(file: string): Promise<void> {
  const store = await openEmbeddedStore({ path: file });
  try {
    await store.create(
      {
        sandbox: "prod",
        kind: "api-credential",
        name: "twilio-sms",
        credentialType: "twilio-sms",
        data: { accountSid: `AC${"0".repeat(31)}7` },
        secret: { authToken: "token-of-the-receiver-open-test" },
      },
      { actor: "receiver-open-test" },
    );
  } finally {
    await store.close();
  }
}

it("a read command refuses a store file that does not exist; the receiver makes it, 0600 in a 0700 folder", async () => {
  const file = path.join(dir, ".smschannels", "store.db");
  await expect(openLedger(file)).rejects.toMatchObject({
    code: "NOT_FOUND",
    field: "database",
    message: expect.stringContaining(`${file} does not exist`),
  });
  expect(fs.existsSync(file)).toBe(false);

  const made = await openLedger(file, { create: true });
  await made.ledger.close();
  expect(made).toMatchObject({ file, created: true });
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  expect(fs.existsSync(keyFileFor(file))).toBe(false);

  const again = await openLedger(file, { create: true });
  await again.ledger.close();
  expect(again.created).toBeUndefined();
});

it("on a store with no secret and no key file, the key file is read when a secret is first opened", async () => {
  const file = path.join(dir, ".smschannels", "store.db");
  const made = await openLedger(file, { create: true });
  await made.ledger.close();
  const opener = receiverKeyring(undefined, file);
  // Before the stack's first up: no key anywhere, and the error names where the key file belongs.
  const sealedElsewhere = new Keyring([Buffer.alloc(32, 1)]).seal({ authToken: "x" }, "aad");
  expect(() => opener.open(sealedElsewhere, "aad")).toThrow(
    expect.objectContaining({ code: "KEY_MISSING", message: expect.stringContaining(keyFileFor(file)) }),
  );
  // The provider's first up makes the key file with the first secret; the receiver reads it then.
  await provisionAsProvider(file);
  const sealed = readKeyFile(keyFileFor(file)).seal({ authToken: "sealed-after-start" }, "aad-2");
  expect(opener.open(sealed, "aad-2")).toEqual({ authToken: "sealed-after-start" });
});

it("a store that holds secrets without its key file is refused at start; SMSCHANNELS_STORE_KEY is used as given", async () => {
  const file = path.join(dir, "store.db");
  await provisionAsProvider(file);
  const keyText = fs.readFileSync(keyFileFor(file), "utf8").trim();
  fs.rmSync(keyFileFor(file));
  expect(() => receiverKeyring(undefined, file)).toThrow(expect.objectContaining({ code: "KEY_MISSING" }));
  const fromEnv = receiverKeyring(keyText, file);
  const sealed = Keyring.parse(keyText).seal({ authToken: "y" }, "aad");
  expect(fromEnv.open(sealed, "aad")).toEqual({ authToken: "y" });
});
