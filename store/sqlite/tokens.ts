import type { SqliteBackend } from "./backend";
import {
  encodeScopes,
  tokenFromRow,
  type TokenRecord,
  type TokenRepository,
  type TokenRow,
} from "../tokens/model";

const TOKEN_COLUMNS = "id, sandbox, scopes, description, created_at, revoked_at, last_used_at";

/**
 * Tokens in the `api_tokens` table of the store's SQLite file (migration 2). Writes wait for the
 * file's write lock like record writes do: `token create` may run while the service writes.
 */
export class SqliteTokenRepository implements TokenRepository {
  constructor(private readonly backend: SqliteBackend) {}

  insert(record: TokenRecord, hash: string): Promise<void> {
    return this.backend.runWrite((db) => {
      db.prepare(
        "INSERT INTO api_tokens (id, token_hash, sandbox, scopes, description, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(
        record.id,
        hash,
        record.sandbox,
        encodeScopes(record.scopes),
        record.description ?? null,
        record.createdAt,
      );
    });
  }

  findByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.backend.run((db) => {
      const row = db.prepare(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?`).get(hash) as
        TokenRow | undefined;
      return row && tokenFromRow(row);
    });
  }

  list(): Promise<TokenRecord[]> {
    return this.backend.run((db) =>
      (db.prepare(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id`).all() as TokenRow[]).map(
        tokenFromRow,
      ),
    );
  }

  revoke(id: string, at: string): Promise<"revoked" | "already-revoked" | "absent"> {
    return this.backend.runWrite((db) => {
      const row = db.prepare("SELECT revoked_at FROM api_tokens WHERE id = ?").get(id) as
        { revoked_at: string | null } | undefined;
      if (!row) return "absent";
      if (row.revoked_at !== null) return "already-revoked";
      db.prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ?").run(at, id);
      return "revoked";
    });
  }

  touch(id: string, at: string): Promise<void> {
    return this.backend.runWrite((db) => {
      db.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run(at, id);
    });
  }
}
