/**
 * Bearer tokens of the store service: who may do what in which sandbox. A backend keeps only the
 * token's hash; the token itself is shown once, when it is made.
 */

/**
 * - `read`: get and list records (never a secret);
 * - `write`: create, update and delete records, and read them back;
 * - `runtime`: read records and their decrypted secrets (the sending side), each read audited.
 */
export const TOKEN_SCOPES = ["read", "write", "runtime"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** A token for this sandbox works in every sandbox: for platform admins and the audit route. */
export const ALL_SANDBOXES = "*";

export interface TokenRecord {
  readonly id: string;
  /** A sandbox name, or `*` for all of them. */
  readonly sandbox: string;
  readonly scopes: readonly TokenScope[];
  readonly description?: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
  readonly lastUsedAt?: string;
}

/** A token as `GET /v1/token` describes it to its own bearer. */
export interface TokenInfo {
  readonly id: string;
  readonly sandbox: string;
  readonly scopes: readonly TokenScope[];
  readonly description?: string;
  readonly createdAt: string;
}

/** Where tokens are kept: the same database as the records (SQLite or PostgreSQL). */
export interface TokenRepository {
  /** `hash` is the SHA-256 of the token; the token itself is never given to a repository. */
  insert(record: TokenRecord, hash: string): Promise<void>;
  findByHash(hash: string): Promise<TokenRecord | undefined>;
  list(): Promise<TokenRecord[]>;
  revoke(id: string, at: string): Promise<"revoked" | "already-revoked" | "absent">;
  touch(id: string, at: string): Promise<void>;
}

export function isTokenScope(s: unknown): s is TokenScope {
  return typeof s === "string" && (TOKEN_SCOPES as readonly string[]).includes(s);
}

/** Whether `token` may act with `scope` in `sandbox`; `write` and `runtime` both include `read`. */
export function tokenAllows(token: TokenRecord, sandbox: string, scope: TokenScope): boolean {
  if (token.revokedAt !== undefined) return false;
  if (token.sandbox !== ALL_SANDBOXES && token.sandbox !== sandbox) return false;
  if (token.scopes.includes(scope)) return true;
  return scope === "read" && (token.scopes.includes("write") || token.scopes.includes("runtime"));
}

/** Scopes as stored in one column: sorted, comma-separated. */
export function encodeScopes(scopes: readonly TokenScope[]): string {
  return [...new Set(scopes)].sort().join(",");
}

export function decodeScopes(text: string): TokenScope[] {
  return text.split(",").filter(isTokenScope);
}

/** A token as both backends' `api_tokens` tables hold it, timestamps as ISO text. */
export interface TokenRow {
  readonly id: string;
  readonly sandbox: string;
  readonly scopes: string;
  readonly description: string | null;
  readonly created_at: string;
  readonly revoked_at: string | null;
  readonly last_used_at: string | null;
}

export function tokenFromRow(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    sandbox: row.sandbox,
    scopes: decodeScopes(row.scopes),
    ...(row.description !== null ? { description: row.description } : {}),
    createdAt: row.created_at,
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
    ...(row.last_used_at !== null ? { lastUsedAt: row.last_used_at } : {}),
  };
}
