import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { StoreError } from "./errors";
import type { SecretPayload } from "./types";

/**
 * How a secret was sealed. 1: additional data binds kind and id, fingerprint unsalted (stores written
 * before the keyed fingerprint); 2: additional data binds sandbox, kind and id, fingerprint keyed.
 * `rekey` (and every open) moves format 1 to 2.
 */
export type SecretFormat = 1 | 2;
export const CURRENT_SECRET_FORMAT: SecretFormat = 2;

/** A secret as stored: AES-256-GCM with a random nonce, and the id of the key that sealed it. */
export interface SealedSecret {
  readonly keyId: string;
  readonly format: SecretFormat;
  readonly nonce: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  readonly ciphertext: Buffer;
}

const TAG_BYTES = 16;

export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update("smschannels-key-id\0").update(key).digest("hex").slice(0, 16);
}

/**
 * The keys that encrypt secrets at rest. The first seals new secrets; all of them open old ones,
 * so a key can be rotated by putting the new one first and keeping the old one until every record
 * has been rewritten.
 */
export class Keyring {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly retired = new Set<string>();
  readonly currentKeyId: string;

  constructor(keys: readonly Buffer[]) {
    const first = keys[0];
    if (!first) throw new StoreError("KEY_MISSING", "storeKey: no encryption key was given");
    for (const k of keys) {
      if (k.length !== 32) {
        throw new StoreError(
          "INVALID_INPUT",
          `storeKey: a key must be 32 bytes (base64 of 32 random bytes), got ${k.length} bytes. Make one with: openssl rand -base64 32`,
          "storeKey",
        );
      }
    }
    this.keys = new Map(keys.map((k) => [keyIdOf(k), k]));
    this.currentKeyId = keyIdOf(first);
  }

  /** Parses `smschannels:storeKey`: one base64 key, or several separated by commas (newest first). */
  static parse(text: string): Keyring {
    const parts = text
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    const keys = parts.map((p) => {
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(p)) {
        throw new StoreError(
          "INVALID_INPUT",
          "storeKey: not base64. Make a key with: openssl rand -base64 32",
          "storeKey",
        );
      }
      return Buffer.from(p, "base64");
    });
    return new Keyring(keys);
  }

  /** Every configured key's id, the current one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /**
   * Keys that `rekey` retired: nothing is sealed with them any more, so nothing may be opened with
   * them either (a restored backup row, a row put back by someone with the database file).
   */
  retire(keyIds: Iterable<string>): void {
    for (const id of keyIds) this.retired.add(id);
    if (this.retired.has(this.currentKeyId)) {
      throw new StoreError(
        "KEY_MISSING",
        `storeKey: the first (current) key ${this.currentKeyId} was retired by \`pulumi-sms-channels-store rekey\`; put the newest key first`,
        "storeKey",
      );
    }
  }

  static generateKeyText(): string {
    return randomBytes(32).toString("base64");
  }

  /** `aad` binds the ciphertext to its record, so a sealed secret copied onto another record fails to open. */
  seal(secret: SecretPayload, aad: string): SealedSecret {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([cipher.update(JSON.stringify(secret), "utf8"), cipher.final()]);
    return {
      keyId: this.currentKeyId,
      format: CURRENT_SECRET_FORMAT,
      nonce,
      ciphertext: Buffer.concat([body, cipher.getAuthTag()]),
    };
  }

  open(sealed: SealedSecret, aad: string): SecretPayload {
    if (this.retired.has(sealed.keyId)) {
      throw new StoreError(
        "KEY_MISSING",
        `a stored secret is sealed with key ${sealed.keyId}, which \`pulumi-sms-channels-store rekey\` retired; the record was put back from before the rekey: write its secret again`,
      );
    }
    const key = this.keys.get(sealed.keyId);
    if (!key) {
      throw new StoreError(
        "KEY_MISSING",
        `the secret was encrypted with key ${sealed.keyId}, which is not among the configured store keys; add that key to smschannels:storeKey (after the current one)`,
      );
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, sealed.nonce);
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return JSON.parse(plain.toString("utf8")) as SecretPayload;
    } catch {
      throw new StoreError(
        "CORRUPT",
        "a stored secret failed its integrity check (wrong key, or the record was tampered with)",
      );
    }
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }
}

/** JSON with sorted keys, so the same secret always gives the same fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The unsalted fingerprint of stores written before the keyed one: kept only to recognise such state
 * (no spurious diff for a stack written by an older version) and to move it to the keyed form.
 */
export function legacyFingerprint(secret: SecretPayload): string {
  return createHash("sha256")
    .update("smschannels-secret-v1\0")
    .update(canonicalJson(secret))
    .digest("hex")
    .slice(0, 16);
}

/** What a reader of secrets needs of the store's keys (the webhook receiver: to open, never to seal). */
export type SecretOpener = Pick<Keyring, "open">;

/**
 * The contract's `secretFingerprint` (16 hex chars): an HMAC-SHA256 prefix of the secret under the
 * store's fingerprint key. The key is random, kept in the store sealed with the data key (so it
 * survives key rotation), and never leaves the store: whoever holds a state file or a read token
 * cannot test guesses against a fingerprint. It binds sandbox and kind, so a writer of one sandbox
 * cannot compute fingerprints comparable to another's.
 */
export class Fingerprinter {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new StoreError("CORRUPT", "the store's fingerprint key is not 32 bytes");
  }

  of(sandbox: string, kind: string, secret: SecretPayload): string {
    return createHmac("sha256", this.key)
      .update(`smschannels-secret-v2\0${sandbox}\0${kind}\0`)
      .update(canonicalJson(secret))
      .digest("hex")
      .slice(0, 16);
  }
}
