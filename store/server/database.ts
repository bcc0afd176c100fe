import path from "node:path";
import type { StoreBackend } from "../backend";
import { PostgresBackend } from "../postgres/backend";
import { describePostgresUrl } from "../postgres/errors";
import { PostgresTokenRepository } from "../postgres/tokens";
import { SqliteBackend } from "../sqlite/backend";
import { SqliteTokenRepository } from "../sqlite/tokens";
import type { TokenRepository } from "../tokens/model";

export interface ServiceDatabase {
  readonly backend: StoreBackend;
  readonly tokens: TokenRepository;
  /** Where it is, for logs: never with a password. */
  readonly where: string;
}

export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/**
 * The service's database from `--database`: a PostgreSQL URL for a shared service, or a SQLite
 * file for one machine. Either way migrations are applied on open.
 */
export async function openServiceDatabase(
  database: string,
  options: { readonly onPoolError?: (message: string) => void } = {},
): Promise<ServiceDatabase> {
  if (isPostgresUrl(database)) {
    const backend = await PostgresBackend.open(
      database,
      options.onPoolError ? { onPoolError: options.onPoolError } : {},
    );
    return {
      backend,
      tokens: new PostgresTokenRepository(backend),
      where: `postgres ${describePostgresUrl(database)}`,
    };
  }
  const file = path.resolve(database);
  const backend = new SqliteBackend(file);
  return { backend, tokens: new SqliteTokenRepository(backend), where: `sqlite ${file}` };
}
