import { StoreError } from "../errors";

/**
 * SQLSTATEs that mean "another writer got there first". The whole transaction is run again: the
 * re-run re-reads what changed, so CoreStore then gives the precise answer (a replayed
 * Idempotency-Key, ALREADY_EXISTS naming the record, IN_USE naming its users, NOT_FOUND).
 */
const RETRY_STATES: Readonly<Record<string, string>> = {
  "40001": "serialization failure",
  "40P01": "deadlock",
  "23505": "unique violation",
  "23503": "foreign key violation",
};

/** Errors that say the database is not there or not accepting work, rather than a bad request. */
const UNAVAILABLE_STATES = new Set([
  "57P01",
  "57P02",
  "57P03",
  "53300",
  "08000",
  "08003",
  "08006",
  "55P03",
  "57014",
]);
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "EPIPE",
]);
/** node-postgres says these in text only, without a code. */
const DRIVER_UNAVAILABLE =
  /Connection terminated|timeout exceeded when trying to connect|Client was closed|Cannot use a pool after calling end|Query read timeout/;

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function isRetryableConflict(e: unknown): boolean {
  const code = codeOf(e);
  return code !== undefined && code in RETRY_STATES && !StoreError.isInstance(e);
}

/** `postgres://user:pw@host:5432/db?x` → `host:5432/db`: for messages, never with credentials. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    return "(unparsable PostgreSQL URL)";
  }
}

/** A StoreError for what PostgreSQL or the driver threw; StoreErrors pass through. */
export function toStoreError(e: unknown, where: string): unknown {
  if (StoreError.isInstance(e)) return e;
  const code = codeOf(e);
  if (code !== undefined && code in RETRY_STATES) {
    if (code === "23505") {
      return new StoreError(
        "ALREADY_EXISTS",
        "name: a record of that kind and name was created meanwhile",
        "name",
      );
    }
    return new StoreError(
      "CONFLICT",
      `the store kept meeting concurrent writers (${RETRY_STATES[code]}); retry the operation`,
    );
  }
  const message = e instanceof Error ? e.message : String(e);
  if (
    (code !== undefined && (UNAVAILABLE_STATES.has(code) || CONNECTION_CODES.has(code))) ||
    DRIVER_UNAVAILABLE.test(message)
  ) {
    return new StoreError(
      "UNAVAILABLE",
      `PostgreSQL at ${where} is unavailable (${code ?? message}); check that it runs and accepts connections`,
    );
  }
  return e;
}
