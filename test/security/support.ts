/**
 * The attacker's bench: a real store service (node:http on 127.0.0.1) over a throwaway SQLite file
 * or PostgreSQL database, and a store file laid out exactly as version 0.1 wrote it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CoreStore,
  Keyring,
  PostgresBackend,
  PostgresTokenRepository,
  SqliteBackend,
  SqliteTokenRepository,
  SQLITE_MIGRATIONS,
  StoreServer,
  TokenService,
  type StoreBackend,
  type StoreServerOptions,
  type TokenScope,
} from "../../store";
import { jsonLogger } from "../../store/server/log";
import { createTestDatabase } from "../support/postgres";

export interface Service {
  readonly url: string;
  readonly core: CoreStore;
  readonly backend: StoreBackend;
  readonly logs: string[];
  token(sandbox: string, ...scopes: TokenScope[]): Promise<{ token: string; id: string }>;
  revoke(id: string): Promise<void>;
  close(): Promise<void>;
}

export type Engine = "sqlite" | "postgres";

export async function startService(
  engine: Engine,
  options: Partial<Omit<StoreServerOptions, "store" | "tokens" | "logger">> & {
    now?: () => Date;
    pgAdminUrl?: string;
  } = {},
): Promise<Service> {
  const { now, pgAdminUrl, ...serverOptions } = options;
  let backend: StoreBackend;
  let tokens: TokenService;
  let dispose: () => Promise<void>;
  if (engine === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-sec-"));
    const b = new SqliteBackend(path.join(dir, "store.db"));
    backend = b;
    tokens = new TokenService(new SqliteTokenRepository(b));
    dispose = async () => fs.rmSync(dir, { recursive: true, force: true });
  } else {
    if (!pgAdminUrl) throw new Error("pgAdminUrl");
    const db = await createTestDatabase(pgAdminUrl, "smsc_sec");
    const b = await PostgresBackend.open(db.url);
    backend = b;
    tokens = new TokenService(new PostgresTokenRepository(b));
    dispose = () => db.drop();
  }
  const core = new CoreStore(backend, Keyring.parse(Keyring.generateKeyText()), now);
  const logs: string[] = [];
  const server = new StoreServer({
    rateLimit: false,
    ...serverOptions,
    store: core,
    tokens,
    logger: jsonLogger((l) => logs.push(l)),
  });
  const url = await server.listen(0);
  return {
    url,
    core,
    backend,
    logs,
    token: async (sandbox, ...scopes) => {
      const { token, record } = await tokens.create({ sandbox, scopes });
      return { token, id: record.id };
    },
    revoke: async (id) => {
      await tokens.revoke(id);
    },
    close: async () => {
      await server.shutdown();
      await core.close();
      await dispose();
    },
  };
}

export interface LegacyRecord {
  readonly id: string;
  readonly sandbox: string;
  readonly kind: "api-credential";
  readonly name: string;
  readonly secret: Record<string, unknown>;
}

/**
 * A store file as version 0.1 wrote it: schema 1 and 2 only, secrets sealed with additional data
 * `smschannels:{kind}:{id}` (no sandbox) and fingerprinted with the unsalted SHA-256.
 */
export function writeLegacyStore(file: string, keyText: string, records: readonly LegacyRecord[]): void {
  const backend = new SqliteBackend(file, { migrations: SQLITE_MIGRATIONS.filter((m) => m.version <= 2) });
  const keyring = Keyring.parse(keyText);
  const at = new Date().toISOString();
  const insert = backend.db.prepare(
    `INSERT INTO records (id, sandbox, kind, name, credential_type, version, data, secret_ciphertext, secret_nonce,
       secret_key_id, secret_fingerprint, owner_urn, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'twilio-sms', 1, '{}', ?, ?, ?, ?, NULL, ?, ?)`,
  );
  backend.db.transaction(() => {
    for (const r of records) {
      const sealed = keyring.seal(r.secret, `smschannels:${r.kind}:${r.id}`);
      insert.run(
        r.id,
        r.sandbox,
        r.kind,
        r.name,
        sealed.ciphertext,
        sealed.nonce,
        sealed.keyId,
        legacyFingerprintOf(r.secret),
        at,
        at,
      );
    }
  })();
  backend.db.close();
}

// The 0.1 fingerprint, written out here rather than imported, so the test pins what old state holds.
import { createHash } from "node:crypto";
import { canonicalJson } from "../../store/crypto";
export function legacyFingerprintOf(secret: Record<string, unknown>): string {
  return createHash("sha256")
    .update("smschannels-secret-v1\0")
    .update(canonicalJson(secret))
    .digest("hex")
    .slice(0, 16);
}
