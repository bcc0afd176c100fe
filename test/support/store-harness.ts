/**
 * The stores the shared store suite runs against: the same CredentialStore cases over SQLite and
 * PostgreSQL, each directly and through the HTTP service and its client.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CoreStore,
  HttpStore,
  Keyring,
  PostgresBackend,
  PostgresTokenRepository,
  SqliteBackend,
  SqliteTokenRepository,
  StoreServer,
  TokenService,
  type CredentialStore,
  type TokenRepository,
} from "../../store";
import { createTestDatabase } from "./postgres";

export interface StoreHarness {
  /** What the cases drive. */
  readonly store: CredentialStore;
  /** The store behind it, for the audit log. */
  readonly core: CoreStore;
  readonly keyring: Keyring;
  /** The actor the audit log names for the cases' writes. */
  readonly actor: string;
  /** Every row of every table, as text (binary as hex): to prove a secret is nowhere in clear. */
  rawDump(): Promise<string>;
  /** A record's sealed-secret columns as stored. */
  rawSecret(id: string): Promise<{ keyId: string | null; ciphertext: Buffer | null } | undefined>;
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<StoreHarness>;

export const CASE_ACTOR = "contract-test";

/** Opens a database: its backend, its tokens, raw access, and how to throw it away. */
interface Database {
  readonly backend: SqliteBackend | PostgresBackend;
  readonly tokens: TokenRepository;
  rawDump(): Promise<string>;
  rawSecret(id: string): Promise<{ keyId: string | null; ciphertext: Buffer | null } | undefined>;
  dispose(): Promise<void>;
}

async function sqliteDatabase(): Promise<Database> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-contract-"));
  const backend = new SqliteBackend(path.join(dir, "store.db"));
  return {
    backend,
    tokens: new SqliteTokenRepository(backend),
    rawDump: () =>
      backend.run((db) => {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
          name: string;
        }[];
        return tables
          .map(({ name }) =>
            (db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[])
              .map((row) =>
                JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString("hex") : v)),
              )
              .join("\n"),
          )
          .join("\n");
      }),
    rawSecret: (id) =>
      backend.run((db) => {
        const row = db
          .prepare("SELECT secret_key_id, secret_ciphertext FROM records WHERE id = ?")
          .get(id) as { secret_key_id: string | null; secret_ciphertext: Buffer | null } | undefined;
        return row && { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext };
      }),
    dispose: async () => {
      await backend.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresDatabase(adminUrl: string): Promise<Database> {
  const db = await createTestDatabase(adminUrl);
  const backend = await PostgresBackend.open(db.url);
  return {
    backend,
    tokens: new PostgresTokenRepository(backend),
    rawDump: async () => {
      const { rows: tables } = await backend.query<{ t: string }>(
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'",
      );
      const parts: string[] = [];
      for (const { t } of tables) {
        // A row as text shows bytea as hex, json as its text.
        const { rows } = await backend.query<{ r: string }>(`SELECT x::text AS r FROM "${t}" x`);
        parts.push(...rows.map((r) => r.r));
      }
      return parts.join("\n");
    },
    rawSecret: async (id) => {
      const { rows } = await backend.query<{
        secret_key_id: string | null;
        secret_ciphertext: Buffer | null;
      }>("SELECT secret_key_id, secret_ciphertext FROM records WHERE id = $1", [id]);
      const row = rows[0];
      return row && { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext };
    },
    dispose: async () => {
      await backend.close();
      await db.drop();
    },
  };
}

function direct(open: () => Promise<Database>): HarnessFactory {
  return async () => {
    const db = await open();
    const keyring = new Keyring([Buffer.from(Keyring.generateKeyText(), "base64")]);
    const core = new CoreStore(db.backend, keyring);
    return {
      store: core,
      core,
      keyring,
      actor: CASE_ACTOR,
      rawDump: db.rawDump,
      rawSecret: db.rawSecret,
      close: db.dispose,
    };
  };
}

/** The service on 127.0.0.1:0 with a token for every sandbox, and the HTTP client in front of it. */
function viaHttp(open: () => Promise<Database>): HarnessFactory {
  return async () => {
    const db = await open();
    const keyring = new Keyring([Buffer.from(Keyring.generateKeyText(), "base64")]);
    const core = new CoreStore(db.backend, keyring);
    const tokens = new TokenService(db.tokens);
    const { token, record } = await tokens.create({ sandbox: "*", scopes: ["write", "runtime"] });
    const server = new StoreServer({ store: core, tokens, rateLimit: false });
    const url = await server.listen(0);
    const store = new HttpStore({ url, token });
    return {
      store,
      core,
      keyring,
      actor: `token:${record.id} (${CASE_ACTOR})`,
      rawDump: db.rawDump,
      rawSecret: db.rawSecret,
      close: async () => {
        await store.close();
        await server.shutdown();
        await db.dispose();
      },
    };
  };
}

export const sqliteHarness = direct(sqliteDatabase);
export const sqliteHttpHarness = viaHttp(sqliteDatabase);
export const postgresHarness = (adminUrl: string): HarnessFactory => direct(() => postgresDatabase(adminUrl));
export const postgresHttpHarness = (adminUrl: string): HarnessFactory =>
  viaHttp(() => postgresDatabase(adminUrl));
