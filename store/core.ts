import { createHash, randomBytes } from "node:crypto";
import type { RecordRow, StoreBackend, StoreTx } from "./backend";
import { canonicalJson, type Keyring } from "./crypto";
import { StoreError } from "./errors";
import { aadFor, StoreKeys, type RekeyOptions, type RekeyResult } from "./keys";
import {
  checkData,
  checkInput,
  checkKind,
  checkName,
  checkReferences,
  checkRefShapes,
  checkSandbox,
  describe,
} from "./rules";
import type {
  Actor,
  AuditEntry,
  CreateOptions,
  CredentialStore,
  DeleteOptions,
  RecordInput,
  RecordKind,
  RecordPatch,
  RecordRef,
  SecretPayload,
  StoredRecord,
} from "./types";

const ID_PREFIX: Record<RecordKind, string> = {
  "api-credential": "cred",
  webhook: "whk",
  "channel-configuration": "chan",
};

export function newRecordId(kind: RecordKind): string {
  return `${ID_PREFIX[kind]}_${randomBytes(12).toString("hex")}`;
}

/** How long an Idempotency-Key is remembered: far longer than any client retries, then forgotten. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export function toStoredRecord(row: RecordRow): StoredRecord {
  return {
    id: row.id,
    sandbox: row.sandbox,
    kind: row.kind,
    name: row.name,
    ...(row.credentialType ? { credentialType: row.credentialType } : {}),
    version: row.version,
    data: row.data,
    refs: row.refs,
    ...(row.secretFingerprint ? { secretFingerprint: row.secretFingerprint } : {}),
    ...(row.ownerUrn ? { ownerUrn: row.ownerUrn } : {}),
    ...(row.ownerInstance ? { ownerInstance: row.ownerInstance } : {}),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * The credential store's rules over any backend: the embedded SQLite file, PostgreSQL, and (behind
 * the HTTP service) both. Every write is one backend transaction that re-reads what it depends on.
 */
export class CoreStore implements CredentialStore {
  private readonly keys: StoreKeys;

  constructor(
    readonly backend: StoreBackend,
    private readonly keyring: Keyring,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = new StoreKeys(backend, keyring);
  }

  /**
   * A store over `backend` that has checked its keys open what is stored (and closed itself if not),
   * and moved secrets of an older format to the current one.
   */
  static async open(backend: StoreBackend, keyring: Keyring): Promise<CoreStore> {
    const store = new CoreStore(backend, keyring);
    try {
      await store.assertKeysOpenStore();
      await store.upgradeSecretFormat();
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }

  /** The contract's keyed `secretFingerprint` of `secret` as a record of `kind` in `sandbox` would have it. */
  fingerprint(sandbox: string, kind: RecordKind, secret: SecretPayload): Promise<string> {
    return this.keys.fingerprint(sandbox, kind, secret);
  }

  /** Re-seals format-1 secrets in the current format (see StoreKeys). */
  upgradeSecretFormat(): Promise<number> {
    return this.keys.upgradeSecretFormat();
  }

  /** Re-seals every secret with the current key, then retires the others (see StoreKeys.rekey). */
  rekey(options: RekeyOptions = {}): Promise<RekeyResult> {
    return this.keys.rekey(options);
  }

  /** Refuses to run with keys that cannot open what is stored: better now than at the first read. */
  assertKeysOpenStore(): Promise<void> {
    return this.keys.assertKeysOpenStore();
  }

  async create(input: RecordInput, options: CreateOptions): Promise<StoredRecord> {
    checkInput(input);
    const { fingerprinter } = await this.keys.loadSettings();
    const fingerprintOf = (secret: SecretPayload): string =>
      fingerprinter.of(input.sandbox, input.kind, secret);
    const requestHash = options.idempotencyKey ? hashRequest(input, fingerprintOf) : "";
    // A key names one create of one caller in one sandbox: another token's or sandbox's equal key is
    // another request, never the first one's answer.
    const idempotencyKey =
      options.idempotencyKey &&
      createHash("sha256")
        .update(`${options.idempotencyScope ?? ""}\0${input.sandbox}\0${options.idempotencyKey}`)
        .digest("hex");
    return this.backend.transaction(async (tx) => {
      if (idempotencyKey) {
        const cutoff = new Date(this.now().getTime() - IDEMPOTENCY_TTL_MS).toISOString();
        await tx.pruneIdempotency(cutoff, 100);
        const found = await tx.getIdempotency(idempotencyKey);
        const seen = found && (found.createdAt ?? "") >= cutoff ? found : undefined;
        if (seen) {
          if (seen.requestHash !== requestHash) {
            throw new StoreError(
              "CONFLICT",
              "Idempotency-Key: this key was already used for a different create request; use a new key per request",
              "idempotencyKey",
            );
          }
          const first = await tx.getRecord(seen.recordId);
          if (first) return toStoredRecord(first);
          // The first answer was deleted since: a retry must not resurrect it silently.
          throw new StoreError(
            "NOT_FOUND",
            `the record created with this Idempotency-Key (id ${seen.recordId}) was deleted since`,
          );
        }
      }
      const existing = await tx.findByName(input.sandbox, input.kind, input.name);
      if (existing) {
        throw new StoreError(
          "ALREADY_EXISTS",
          `name: ${describe(existing)} already exists in sandbox "${input.sandbox}"; names are unique per sandbox and kind`,
          "name",
          { id: existing.id, ownerUrn: existing.ownerUrn ?? undefined, version: existing.version },
        );
      }
      const at = this.now().toISOString();
      const id = newRecordId(input.kind);
      const row: RecordRow = {
        id,
        sandbox: input.sandbox,
        kind: input.kind,
        name: input.name,
        credentialType: input.credentialType ?? null,
        version: 1,
        data: input.data,
        refs: [...(input.refs ?? [])],
        secret: input.secret
          ? this.keyring.seal(input.secret, aadFor({ id, kind: input.kind, sandbox: input.sandbox }, 2))
          : null,
        secretFingerprint: input.secret ? fingerprintOf(input.secret) : null,
        ownerUrn: input.ownerUrn ?? null,
        ownerInstance: input.ownerInstance ?? null,
        createdAt: at,
        updatedAt: at,
      };
      checkReferences(row, await resolveRefs(tx, row.sandbox, row.refs));
      await tx.insert(row);
      if (idempotencyKey) await tx.putIdempotency(idempotencyKey, { recordId: id, requestHash });
      await tx.appendAudit(auditOf(row, "create", options.actor, at));
      return toStoredRecord(row);
    });
  }

  async get(sandbox: string, kind: RecordKind, id: string): Promise<StoredRecord | undefined> {
    checkSandbox(sandbox);
    checkKind(kind);
    const row = await this.backend.read((tx) => tx.getRecord(id));
    return row && row.sandbox === sandbox && row.kind === kind ? toStoredRecord(row) : undefined;
  }

  async findByName(sandbox: string, kind: RecordKind, name: string): Promise<StoredRecord | undefined> {
    checkSandbox(sandbox);
    checkKind(kind);
    const row = await this.backend.read((tx) => tx.findByName(sandbox, kind, name));
    return row ? toStoredRecord(row) : undefined;
  }

  async list(sandbox: string, kind: RecordKind): Promise<StoredRecord[]> {
    checkSandbox(sandbox);
    checkKind(kind);
    const rows = await this.backend.read((tx) => tx.list(sandbox, kind));
    return rows.map(toStoredRecord);
  }

  async update(
    sandbox: string,
    kind: RecordKind,
    id: string,
    expectedVersion: number,
    patch: RecordPatch,
    actor: Actor,
  ): Promise<StoredRecord> {
    checkSandbox(sandbox);
    checkKind(kind);
    if (!Number.isInteger(expectedVersion) || expectedVersion < 1) {
      throw new StoreError(
        "INVALID_INPUT",
        "version: must be the record's current version (an integer from 1)",
        "version",
      );
    }
    if (
      patch.data !== undefined &&
      (typeof patch.data !== "object" || patch.data === null || Array.isArray(patch.data))
    ) {
      throw new StoreError("INVALID_INPUT", "data: must be a JSON object", "data");
    }
    if (patch.refs) checkRefShapes(kind, patch.refs);
    const { fingerprinter } = await this.keys.loadSettings();
    if (patch.name !== undefined) checkName(kind, patch.name);
    return this.backend.transaction(async (tx) => {
      const current = await tx.getRecord(id, true);
      if (!current || current.sandbox !== sandbox || current.kind !== kind) {
        throw new StoreError(
          "NOT_FOUND",
          `${kind} ${id} does not exist in sandbox "${sandbox}" (deleted outside Pulumi?)`,
        );
      }
      if (current.version !== expectedVersion) {
        throw conflict(current, expectedVersion);
      }
      if (patch.name !== undefined && patch.name !== current.name) {
        const taken = await tx.findByName(sandbox, kind, patch.name);
        if (taken) {
          throw new StoreError(
            "ALREADY_EXISTS",
            `name: ${describe(taken)} already exists in sandbox "${sandbox}"; names are unique per sandbox and kind`,
            "name",
          );
        }
      }
      const at = this.now().toISOString();
      const row: RecordRow = {
        ...current,
        name: patch.name ?? current.name,
        version: current.version + 1,
        data: patch.data ?? current.data,
        refs: patch.refs ? [...patch.refs] : current.refs,
        secret: patch.secret ? this.keyring.seal(patch.secret, aadFor(current, 2)) : current.secret,
        secretFingerprint: patch.secret
          ? fingerprinter.of(sandbox, kind, patch.secret)
          : current.secretFingerprint,
        ownerUrn: patch.ownerUrn ?? current.ownerUrn,
        ownerInstance: patch.ownerInstance ?? current.ownerInstance,
        updatedAt: at,
      };
      // New data is held to the contract; data left as it is was checked when it was written.
      if (patch.data !== undefined) checkData(row.kind, row.credentialType ?? undefined, row.data);
      checkReferences(row, await resolveRefs(tx, row.sandbox, row.refs));
      // An `rcs` channel may already point at this credential: a credential never changes its type,
      // so there is nothing for referrers to re-check here.
      if (!(await tx.replace(row, expectedVersion))) throw conflict(current, expectedVersion);
      await tx.appendAudit(auditOf(row, "update", actor.actor, at));
      return toStoredRecord(row);
    });
  }

  async delete(
    sandbox: string,
    kind: RecordKind,
    id: string,
    options: DeleteOptions,
  ): Promise<"deleted" | "absent"> {
    checkSandbox(sandbox);
    checkKind(kind);
    const expected = options.expectedVersion;
    if (expected !== undefined && (!Number.isInteger(expected) || expected < 1)) {
      throw new StoreError(
        "INVALID_INPUT",
        "version: must be the record's current version (an integer from 1)",
        "version",
      );
    }
    return this.backend.transaction(async (tx) => {
      const current = await tx.getRecord(id, true);
      if (!current || current.sandbox !== sandbox || current.kind !== kind) return "absent";
      // A delete that last saw another version would remove something it never saw: someone else's
      // change, or the record a newer resource took over.
      if (expected !== undefined && current.version !== expected) throw conflict(current, expected);
      const users = await tx.referrers(id);
      if (users.length > 0) {
        throw new StoreError(
          "IN_USE",
          `${describe(current)} is still used by ${users.map(describe).join(", ")}; delete or re-point those first`,
          undefined,
          { usedBy: users.map((u) => ({ kind: u.kind, id: u.id, name: u.name, sandbox: u.sandbox })) },
        );
      }
      await tx.remove(id);
      await tx.appendAudit(auditOf(current, "delete", options.actor, this.now().toISOString()));
      return "deleted";
    });
  }

  async readSecret(
    sandbox: string,
    kind: RecordKind,
    id: string,
    actor: Actor,
  ): Promise<SecretPayload | undefined> {
    checkSandbox(sandbox);
    checkKind(kind);
    const { minFormat } = await this.keys.loadSettings();
    return this.backend.transaction(async (tx) => {
      const row = await tx.getRecord(id);
      if (!row || row.sandbox !== sandbox || row.kind !== kind || !row.secret) return undefined;
      const secret = this.keys.openSecret({ ...row, secret: row.secret }, minFormat);
      await tx.appendAudit(auditOf(row, "read-secret", actor.actor, this.now().toISOString()));
      return secret;
    });
  }

  /**
   * Records that `actor` tested a secret against the fingerprint oracle in `sandbox` (the service's
   * fingerprint route): never the secret, nor its fingerprint, which would let a reader of the log
   * test guesses offline.
   */
  async auditFingerprint(sandbox: string, kind: RecordKind, actor: Actor): Promise<void> {
    checkSandbox(sandbox);
    checkKind(kind);
    const at = this.now().toISOString();
    await this.backend.transaction((tx) =>
      tx.appendAudit({
        at,
        actor: actor.actor,
        action: "fingerprint",
        sandbox,
        kind,
        recordId: "",
        name: "",
        version: 0,
      }),
    );
  }

  async auditLog(limit = 100): Promise<AuditEntry[]> {
    return this.backend.auditLog(limit);
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

/**
 * The referenced records, from the writer's own sandbox only: an id of another sandbox's record is
 * answered exactly as an id that does not exist, so a writer learns nothing (not even a name) about
 * sandboxes it has no access to.
 */
async function resolveRefs(tx: StoreTx, sandbox: string, refs: readonly RecordRef[]): Promise<RecordRow[]> {
  const rows: RecordRow[] = [];
  for (const ref of refs) {
    const row = await tx.getRecord(ref.id);
    if (!row || row.kind !== ref.kind || row.sandbox !== sandbox) {
      const field = ref.kind === "api-credential" ? "apiCredential" : "webhooks";
      throw new StoreError(
        "NOT_FOUND",
        `${field}: ${ref.kind} ${ref.id} does not exist in sandbox "${sandbox}"`,
        field,
      );
    }
    rows.push(row);
  }
  return rows;
}

function conflict(current: RecordRow, expectedVersion: number): StoreError {
  return new StoreError(
    "CONFLICT",
    `${describe(current)} was changed by someone else since (version ${expectedVersion} expected, ${current.version} found); run \`pulumi refresh\` to take the stored value, then update again`,
    undefined,
    { currentVersion: current.version },
  );
}

function auditOf(
  row: RecordRow,
  action: AuditEntry["action"],
  actor: string,
  at: string,
): Omit<AuditEntry, "seq"> {
  return {
    at,
    actor,
    action,
    sandbox: row.sandbox,
    kind: row.kind,
    recordId: row.id,
    name: row.name,
    version: row.version,
  };
}

/** Fingerprints the request so a reused Idempotency-Key with another body is refused; no secret is kept. */
function hashRequest(input: RecordInput, fingerprintOf: (secret: SecretPayload) => string): string {
  const { secret, ...rest } = input;
  return createHash("sha256")
    .update(canonicalJson({ ...rest, secret: secret ? fingerprintOf(secret) : null }))
    .digest("hex");
}
