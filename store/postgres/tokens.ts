import type { PostgresBackend } from "./backend";
import {
  encodeScopes,
  tokenFromRow,
  type TokenRecord,
  type TokenRepository,
  type TokenRow,
} from "../tokens/model";

/** Timestamps as ISO text (UTC, milliseconds), as SQLite keeps them, so both give the same records. */
const iso = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`;
const SELECT_TOKEN = `SELECT id, sandbox, scopes, description, ${iso("created_at")}, ${iso("revoked_at")}, ${iso("last_used_at")} FROM api_tokens`;

/** Tokens in the `api_tokens` table of the PostgreSQL database (migration 2). */
export class PostgresTokenRepository implements TokenRepository {
  constructor(private readonly backend: PostgresBackend) {}

  async insert(record: TokenRecord, hash: string): Promise<void> {
    await this.backend.query(
      "INSERT INTO api_tokens (id, token_hash, sandbox, scopes, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [
        record.id,
        hash,
        record.sandbox,
        encodeScopes(record.scopes),
        record.description ?? null,
        record.createdAt,
      ],
    );
  }

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    const { rows } = await this.backend.query<TokenRow>(`${SELECT_TOKEN} WHERE token_hash = $1`, [hash]);
    return rows[0] && tokenFromRow(rows[0]);
  }

  async list(): Promise<TokenRecord[]> {
    const { rows } = await this.backend.query<TokenRow>(`${SELECT_TOKEN} ORDER BY created_at, id`);
    return rows.map(tokenFromRow);
  }

  async revoke(id: string, at: string): Promise<"revoked" | "already-revoked" | "absent"> {
    const updated = await this.backend.query(
      "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
      [id, at],
    );
    if (updated.rowCount === 1) return "revoked";
    const { rows } = await this.backend.query("SELECT 1 FROM api_tokens WHERE id = $1", [id]);
    return rows.length > 0 ? "already-revoked" : "absent";
  }

  async touch(id: string, at: string): Promise<void> {
    await this.backend.query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1", [id, at]);
  }
}
