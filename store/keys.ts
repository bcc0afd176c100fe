import { randomBytes } from "node:crypto";
import type { RecordRow, StoreBackend, StoreTx } from "./backend";
import {
  CURRENT_SECRET_FORMAT,
  Fingerprinter,
  type Keyring,
  type SealedSecret,
  type SecretFormat,
} from "./crypto";
import { StoreError } from "./errors";
import { checkKind, checkSandbox, describe } from "./rules";
import type { RecordKind, SecretPayload } from "./types";

/**
 * What is sealed with a secret: its record (sandbox, kind, id), so a ciphertext moved onto another
 * record, or a row moved into another sandbox, fails to open. Format 1 (older stores) bound kind and
 * id only; such rows are re-sealed on open and by `rekey`.
 */
export function aadFor(
  row: Pick<RecordRow, "id" | "kind" | "sandbox"> & { readonly secret?: SealedSecret | null },
  format: SecretFormat = row.secret?.format ?? CURRENT_SECRET_FORMAT,
): string {
  switch (format) {
    case 1:
      return `smschannels:${row.kind}:${row.id}`;
    case 2:
      return `smschannels:v2:${row.sandbox}:${row.kind}:${row.id}`;
  }
}

/** Store settings kept in `store_meta`. */
const META = {
  fingerprintKey: "fingerprint-key",
  retiredKeyIds: "retired-key-ids",
  /** "2" once `rekey` has re-sealed every format-1 secret: format 1 is refused from then on. */
  minSecretFormat: "min-secret-format",
} as const;
const FINGERPRINT_KEY_AAD = "smschannels:meta:fingerprint-key";

export interface RekeyProgress {
  readonly resealed: number;
  readonly skipped: number;
}

export interface RekeyOptions {
  /** Records re-sealed per transaction (default 100): a crash loses at most one batch's work. */
  readonly batchSize?: number;
  readonly onBatch?: (progress: RekeyProgress) => void;
}

export interface RekeyResult extends RekeyProgress {
  readonly currentKeyId: string;
  readonly retiredKeyIds: readonly string[];
}

/**
 * The keys of one store: the fingerprint key (sealed in `store_meta`), the keys `rekey` retired and
 * the oldest secret format still accepted; re-sealing and rekeying. Apart from the record rules in
 * core.ts, which ask it for the fingerprinter and to open secrets.
 */
export class StoreKeys {
  private settings: Promise<{ fingerprinter: Fingerprinter; minFormat: SecretFormat }> | undefined;

  constructor(
    private readonly backend: StoreBackend,
    private readonly keyring: Keyring,
  ) {}

  /**
   * The fingerprint key (made on first use, sealed with the current key), the keys `rekey` retired,
   * and the oldest secret format still accepted. Loaded once per store object.
   */
  loadSettings(): Promise<{ fingerprinter: Fingerprinter; minFormat: SecretFormat }> {
    this.settings ??= this.backend
      .sealedKeyIds()
      .then((sealing) =>
        this.backend.transaction(async (tx) => {
          const retired = (await tx.getMeta(META.retiredKeyIds))?.value;
          if (retired) this.keyring.retire(retired.split(",").filter((k) => k.length > 0));
          return this.settingsIn(tx, sealing.length > 0);
        }),
      )
      .catch((e: unknown) => {
        this.settings = undefined;
        throw e;
      });
    return this.settings;
  }

  private async settingsIn(
    tx: StoreTx,
    holdsSecrets: boolean,
  ): Promise<{ fingerprinter: Fingerprinter; minFormat: SecretFormat }> {
    let row = await tx.getMeta(META.fingerprintKey);
    // A store that holds no secret has no fingerprint that depends on the key: one sealed with a
    // key that is gone (the key file was lost, a new one made) is simply replaced.
    const lost = row?.secret && !holdsSecrets && !this.keyring.has(row.secret.keyId);
    if (!row?.secret || lost) {
      const key = randomBytes(32).toString("base64");
      // ifAbsent: of two processes making it at once, both end up with the first one's key.
      await tx.putMeta(
        {
          name: META.fingerprintKey,
          value: null,
          secret: this.keyring.seal({ key }, FINGERPRINT_KEY_AAD),
        },
        !lost,
      );
      row = await tx.getMeta(META.fingerprintKey);
    }
    if (!row?.secret) throw new StoreError("CORRUPT", "the store's fingerprint key could not be kept");
    const payload = this.keyring.open(row.secret, FINGERPRINT_KEY_AAD);
    // Sealed with an older key: move it to the current one, so that key can go once every
    // record has been rewritten (or `rekey` has run).
    if (row.secret.keyId !== this.keyring.currentKeyId) {
      await tx.putMeta({ ...row, secret: this.keyring.seal(payload, FINGERPRINT_KEY_AAD) });
    }
    const key = Buffer.from(String(payload["key"]), "base64");
    const minFormat: SecretFormat = (await tx.getMeta(META.minSecretFormat))?.value === "2" ? 2 : 1;
    return { fingerprinter: new Fingerprinter(key), minFormat };
  }

  /** The contract's keyed `secretFingerprint` of `secret` as a record of `kind` in `sandbox` would have it. */
  async fingerprint(sandbox: string, kind: RecordKind, secret: SecretPayload): Promise<string> {
    checkSandbox(sandbox);
    checkKind(kind);
    if (typeof secret !== "object" || secret === null || Array.isArray(secret)) {
      throw new StoreError("INVALID_INPUT", "secret: must be a JSON object", "secret");
    }
    return (await this.loadSettings()).fingerprinter.of(sandbox, kind, secret);
  }

  openSecret(row: RecordRow & { secret: SealedSecret }, minFormat: SecretFormat): SecretPayload {
    if (row.secret.format < minFormat) {
      throw new StoreError(
        "CORRUPT",
        `${describe(row)}: its secret is in a format \`rekey\` retired; the row was put back from before the rekey: write its secret again`,
      );
    }
    return this.keyring.open(row.secret, aadFor(row, row.secret.format));
  }

  /** Re-seals format-1 secrets (kind+id additional data, unsalted fingerprint) in the current format. */
  async upgradeSecretFormat(): Promise<number> {
    if ((await this.backend.sealedKeyIds()).length === 0) return 0;
    return (await this.reseal(100, null)).resealed;
  }

  /**
   * Re-seals, in batches of one transaction each, every secret not sealed with the current key in
   * the current format, and the fingerprint key; then retires every other configured key, so it can
   * be dropped from storeKey (and is refused if a row sealed with it ever comes back). Crash-safe and
   * resumable: a batch commits whole or not at all, and a second run picks up what is left.
   */
  async rekey(options: RekeyOptions = {}): Promise<RekeyResult> {
    await this.assertKeysOpenStore();
    const progress = await this.reseal(options.batchSize ?? 100, this.keyring.currentKeyId, options.onBatch);
    const current = this.keyring.currentKeyId;
    const retiredKeyIds = await this.backend.transaction(async (tx) => {
      const row = await tx.getMeta(META.fingerprintKey);
      if (row?.secret && row.secret.keyId !== current) {
        const secret = this.keyring.open(row.secret, FINGERPRINT_KEY_AAD);
        await tx.putMeta({ ...row, secret: this.keyring.seal(secret, FINGERPRINT_KEY_AAD) });
      }
      const left = await tx.secretsToReseal(current, CURRENT_SECRET_FORMAT, 1);
      if (left.length > 0) {
        throw new StoreError(
          "CONFLICT",
          `rekey: ${describe(left[0]!)} was written with another key meanwhile (a process with an older storeKey?); run rekey again`,
        );
      }
      const before = (await tx.getMeta(META.retiredKeyIds))?.value?.split(",") ?? [];
      const retired = [...new Set([...before, ...this.keyring.keyIds.filter((k) => k !== current)])].filter(
        (k) => k.length > 0,
      );
      await tx.putMeta({ name: META.retiredKeyIds, value: retired.join(","), secret: null });
      await tx.putMeta({ name: META.minSecretFormat, value: String(CURRENT_SECRET_FORMAT), secret: null });
      return retired;
    });
    this.keyring.retire(retiredKeyIds);
    this.settings = undefined;
    return { ...progress, currentKeyId: current, retiredKeyIds };
  }

  /** `keyId` null: only secrets of an older format; else also those sealed with another key. */
  private async reseal(
    batchSize: number,
    keyId: string | null,
    onBatch?: (progress: RekeyProgress) => void,
  ): Promise<RekeyProgress> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new StoreError("INVALID_INPUT", "batch size: a whole number from 1", "batchSize");
    }
    const { fingerprinter, minFormat } = await this.loadSettings();
    let resealed = 0;
    let skipped = 0;
    for (;;) {
      const done = await this.backend.transaction(async (tx) => {
        const rows = await tx.secretsToReseal(keyId, CURRENT_SECRET_FORMAT, batchSize);
        let n = 0;
        for (const row of rows) {
          if (!row.secret) continue;
          const secret = this.openSecret({ ...row, secret: row.secret }, minFormat);
          const sealed = this.keyring.seal(secret, aadFor(row, CURRENT_SECRET_FORMAT));
          if (await tx.reseal(row.id, row.version, sealed, fingerprinter.of(row.sandbox, row.kind, secret)))
            n++;
          else skipped++;
        }
        return { n, seen: rows.length };
      });
      resealed += done.n;
      onBatch?.({ resealed, skipped });
      // A short batch was the last; a batch of nothing but concurrently changed rows is tried again.
      if (done.seen < batchSize) return { resealed, skipped };
    }
  }

  /** Refuses to run with keys that cannot open what is stored: better now than at the first read. */
  async assertKeysOpenStore(): Promise<void> {
    const missing = (await this.backend.sealedKeyIds()).filter((id) => !this.keyring.has(id));
    if (missing.length > 0) {
      throw new StoreError(
        "KEY_MISSING",
        `storeKey: the store holds secrets sealed with key(s) ${missing.join(", ")}, which the configured storeKey does not include. Configure the key the store was written with (smschannels:storeKey or SMSCHANNELS_STORE_KEY, or the key file beside the store)`,
        "storeKey",
      );
    }
  }
}
