import fs from "node:fs";
import path from "node:path";
import type { StoreBackend } from "../backend";
import { Keyring } from "../crypto";
import { keyFileFor, readKeyFile } from "../embedded";
import { StoreError } from "../errors";
import { PostgresBackend } from "../postgres/backend";
import { describePostgresUrl } from "../postgres/errors";
import { isPostgresUrl } from "../server/database";
import { SqliteBackend } from "../sqlite/backend";
import type { ReceiverLedger } from "./ledger";
import { PostgresLedger } from "./postgres-ledger";
import { SqliteLedger } from "./sqlite-ledger";

/** The ledger over a store backend already open (the store service's reads share its connection). */
export function ledgerFor(backend: StoreBackend): ReceiverLedger {
  if (backend instanceof SqliteBackend) return new SqliteLedger(backend);
  if (backend instanceof PostgresBackend) return new PostgresLedger(backend);
  throw new StoreError("UNAVAILABLE", "this store backend keeps no webhook ledger");
}

export interface OpenedLedger {
  readonly ledger: ReceiverLedger;
  /** Where it is, for logs: never with a password. */
  readonly where: string;
  /** The file of a SQLite database (its key file is beside it). */
  readonly file?: string;
}

/**
 * The receiver's database from `--database`: the embedded store's SQLite file (WAL mode: the
 * receiver and the provider may write it at once) or the shared store's PostgreSQL. Migrations are
 * applied on open, as the store does.
 */
export async function openLedger(
  database: string,
  options: { readonly onPoolError?: (message: string) => void; readonly maxConnections?: number } = {},
): Promise<OpenedLedger> {
  if (isPostgresUrl(database)) {
    const backend = await PostgresBackend.open(database, {
      ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}),
      ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
      // Twilio waits 15 s for an answer: a 503 in time beats a timeout.
      pool: { connectionTimeoutMillis: 3_000 },
    });
    return { ledger: new PostgresLedger(backend), where: `postgres ${describePostgresUrl(database)}` };
  }
  const file = path.resolve(database);
  if (!fs.existsSync(file)) {
    throw new StoreError(
      "NOT_FOUND",
      `--database: ${file} does not exist; point the receiver at the store's file (smschannels:storePath)`,
      "database",
    );
  }
  // Another writer (the provider in a `pulumi up`) holds the file at most for a few ms at a time.
  const backend = new SqliteBackend(file, { busyTimeoutMs: 5_000 });
  return { ledger: new SqliteLedger(backend), where: `sqlite ${file}`, file };
}

/** SMSCHANNELS_STORE_KEY, else (for a SQLite file) the key file beside it. Never creates a key. */
export function receiverKeyring(keyText: string | undefined, sqliteFile: string | undefined): Keyring {
  if (keyText) return Keyring.parse(keyText);
  if (sqliteFile) {
    const keyFile = keyFileFor(sqliteFile);
    if (fs.existsSync(keyFile)) return readKeyFile(keyFile);
    throw new StoreError(
      "KEY_MISSING",
      `storeKey: set SMSCHANNELS_STORE_KEY, or keep the store's key file at ${keyFile}`,
      "storeKey",
    );
  }
  throw new StoreError(
    "KEY_MISSING",
    "SMSCHANNELS_STORE_KEY must hold the key(s) the store's secrets are encrypted with",
    "storeKey",
  );
}
