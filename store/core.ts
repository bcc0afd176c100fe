import { createHash, randomBytes } from "node:crypto";
import type { RecordRow, StoreBackend, StoreTx } from "./backend";
import { canonicalJson, fingerprintSecret, type Keyring } from "./crypto";
import { StoreError } from "./errors";
import { checkInput, checkKind, checkReferences, checkRefShapes, checkSandbox, describe } from "./rules";
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

/** What is sealed with a secret: its record, so a ciphertext moved onto another record fails to open. */
export function aadFor(row: Pick<RecordRow, "id" | "kind">): string {
  return `smschannels:${row.kind}:${row.id}`;
}

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
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * The credential store's rules over any backend: the embedded SQLite file, PostgreSQL, and (behind
 * the HTTP service) both. Every write is one backend transaction that re-reads what it depends on.
 */
export class CoreStore implements CredentialStore {
  constructor(
    readonly backend: StoreBackend,
    private readonly keyring: Keyring,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A store over `backend` that has checked its keys open what is stored (and closed itself if not). */
  static async open(backend: StoreBackend, keyring: Keyring): Promise<CoreStore> {
    const store = new CoreStore(backend, keyring);
    try {
      await store.assertKeysOpenStore();
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
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

  async create(input: RecordInput, options: CreateOptions): Promise<StoredRecord> {
    checkInput(input);
    const requestHash = options.idempotencyKey ? hashRequest(input) : "";
    return this.backend.transaction(async (tx) => {
      if (options.idempotencyKey) {
        const seen = await tx.getIdempotency(options.idempotencyKey);
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
        secret: input.secret ? this.keyring.seal(input.secret, aadFor({ id, kind: input.kind })) : null,
        secretFingerprint: input.secret ? fingerprintSecret(input.secret) : null,
        ownerUrn: input.ownerUrn ?? null,
        createdAt: at,
        updatedAt: at,
      };
      checkReferences(row, await resolveRefs(tx, row.refs));
      await tx.insert(row);
      if (options.idempotencyKey)
        await tx.putIdempotency(options.idempotencyKey, { recordId: id, requestHash });
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
    if (
      patch.name !== undefined &&
      (typeof patch.name !== "string" || patch.name.length === 0 || patch.name.length > 200)
    ) {
      throw new StoreError(
        "INVALID_INPUT",
        "name: must be a non-empty string of at most 200 characters",
        "name",
      );
    }
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
        secret: patch.secret ? this.keyring.seal(patch.secret, aadFor(current)) : current.secret,
        secretFingerprint: patch.secret ? fingerprintSecret(patch.secret) : current.secretFingerprint,
        ownerUrn: patch.ownerUrn ?? current.ownerUrn,
        updatedAt: at,
      };
      checkReferences(row, await resolveRefs(tx, row.refs));
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
    return this.backend.transaction(async (tx) => {
      const row = await tx.getRecord(id);
      if (!row || row.sandbox !== sandbox || row.kind !== kind || !row.secret) return undefined;
      const secret = this.keyring.open(row.secret, aadFor(row));
      await tx.appendAudit(auditOf(row, "read-secret", actor.actor, this.now().toISOString()));
      return secret;
    });
  }

  async auditLog(limit = 100): Promise<AuditEntry[]> {
    return this.backend.auditLog(limit);
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

async function resolveRefs(tx: StoreTx, refs: readonly RecordRef[]): Promise<RecordRow[]> {
  const rows: RecordRow[] = [];
  for (const ref of refs) {
    const row = await tx.getRecord(ref.id);
    if (!row || row.kind !== ref.kind) {
      const field = ref.kind === "api-credential" ? "apiCredential" : "webhooks";
      throw new StoreError("NOT_FOUND", `${field}: ${ref.kind} ${ref.id} does not exist in the store`, field);
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
function hashRequest(input: RecordInput): string {
  const { secret, ...rest } = input;
  return createHash("sha256")
    .update(canonicalJson({ ...rest, secret: secret ? fingerprintSecret(secret) : null }))
    .digest("hex");
}
