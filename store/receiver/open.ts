import fs from "node:fs";
import path from "node:path";
import type { StoreBackend } from "../backend";
import { Keyring, type SecretOpener } from "../crypto";
import { keyFileFor, readKeyFile, storeHoldsSecrets } from "../embedded";
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
  /** The SQLite file did not exist, and was made (with `create`). */
  readonly created?: boolean;
}

/**
 * The receiver's database from `--database`: the embedded store's SQLite file (WAL mode: the
 * receiver and the provider may write it at once) or the shared store's PostgreSQL. Migrations are
 * applied on open, as the store does. `create`: a SQLite file that does not exist yet is made, as the
 * provider would make it (the receiver starts before a stack's first `pulumi up`, since an attached
 * webhook needs it answering); without it (the read commands) a missing file is an error.
 */
export async function openLedger(
  database: string,
  options: {
    readonly onPoolError?: (message: string) => void;
    readonly maxConnections?: number;
    readonly create?: boolean;
  } = {},
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
  const created = !fs.existsSync(file);
  if (created && !options.create) {
    throw new StoreError(
      "NOT_FOUND",
      `--database: ${file} does not exist; point the receiver at the store's file (smschannels:storePath)`,
      "database",
    );
  }
  // Another writer (the provider in a `pulumi up`) holds the file at most for a few ms at a time.
  const backend = new SqliteBackend(file, { busyTimeoutMs: 5_000 });
  return {
    ledger: new SqliteLedger(backend),
    where: `sqlite ${file}`,
    file,
    ...(created ? { created } : {}),
  };
}

/**
 * SMSCHANNELS_STORE_KEY, else (for a SQLite file) the key file beside it. Never creates a key: the
 * provider makes the key file with the store. A SQLite store that holds no secret yet and has no key
 * file (the receiver started before the stack's first `pulumi up`) gets its key file read when the
 * receiver first opens a secret, by then made by that up; a store that holds secrets without its key
 * file is refused at start.
 */
export function receiverKeyring(keyText: string | undefined, sqliteFile: string | undefined): SecretOpener {
  if (keyText) return Keyring.parse(keyText);
  if (sqliteFile) {
    const keyFile = keyFileFor(sqliteFile);
    const missing = () =>
      new StoreError(
        "KEY_MISSING",
        `storeKey: set SMSCHANNELS_STORE_KEY, or keep the store's key file at ${keyFile}`,
        "storeKey",
      );
    if (fs.existsSync(keyFile)) return readKeyFile(keyFile);
    if (storeHoldsSecrets(sqliteFile)) throw missing();
    let keyring: Keyring | undefined;
    return {
      open(sealed, aad) {
        if (!keyring) {
          if (!fs.existsSync(keyFile)) throw missing();
          keyring = readKeyFile(keyFile);
        }
        return keyring.open(sealed, aad);
      },
    };
  }
  throw new StoreError(
    "KEY_MISSING",
    "SMSCHANNELS_STORE_KEY must hold the key(s) the store's secrets are encrypted with",
    "storeKey",
  );
}
