import type { IncomingMessage } from "node:http";
import { StoreError } from "../errors";
import { ALL_SANDBOXES, tokenAllows, type TokenRecord, type TokenScope } from "../tokens/model";
import type { TokenService } from "../tokens/service";

/** The token a request presents, checked against the store; UNAUTHORIZED when there is none that lives. */
export async function authenticate(req: IncomingMessage, tokens: TokenService): Promise<TokenRecord> {
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  // The same answer for a missing, malformed, unknown and revoked token: nothing to learn by probing.
  const refused = new StoreError(
    "UNAUTHORIZED",
    "the bearer token is missing, unknown or revoked; send Authorization: Bearer <token>",
  );
  if (!m?.[1]) throw refused;
  const token = await tokens.authenticate(m[1]);
  if (!token) throw refused;
  return token;
}

/** FORBIDDEN naming what is missing, so the operator knows which token to make. */
export function requireScope(token: TokenRecord, sandbox: string, scope: TokenScope): void {
  if (tokenAllows(token, sandbox, scope)) return;
  const where =
    token.sandbox === ALL_SANDBOXES || token.sandbox === sandbox
      ? ""
      : ` (it is for sandbox "${token.sandbox}")`;
  throw new StoreError(
    "FORBIDDEN",
    `token ${token.id} may not do this in sandbox "${sandbox}"${where}: it needs the "${scope}" scope for sandbox "${sandbox}"`,
    undefined,
    { sandbox, scope, tokenId: token.id },
  );
}

/** The audit route spans sandboxes: only a token for all of them (`*`) may read it. */
export function requireAdmin(token: TokenRecord): void {
  if (token.sandbox === ALL_SANDBOXES && tokenAllows(token, ALL_SANDBOXES, "read")) return;
  throw new StoreError(
    "FORBIDDEN",
    `token ${token.id} may not read the audit log: it needs a token for sandbox "${ALL_SANDBOXES}" with the "read" scope`,
    undefined,
    { sandbox: ALL_SANDBOXES, scope: "read", tokenId: token.id },
  );
}
