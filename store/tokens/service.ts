import { createHash, randomBytes } from "node:crypto";
import { StoreError } from "../errors";
import { SANDBOX_PATTERN } from "../rules";
import {
  ALL_SANDBOXES,
  type TokenRecord,
  type TokenRepository,
  type TokenScope,
  TOKEN_SCOPES,
} from "./model";

/** Recognisable prefix, so secret scanners and people can tell a store token when they see one. */
export const TOKEN_PREFIX = "smsst_";
const TOKEN_PATTERN = /^smsst_[A-Za-z0-9_-]{43}$/;

/**
 * SHA-256 of the token, as stored. A token is 32 random bytes (256 bits), so no guess can hit a
 * hash: a slow password hash (bcrypt, scrypt, argon2) only helps low-entropy secrets, and would
 * cost tens of milliseconds of CPU on every request. A plain hash keeps the per-request check to one
 * indexed lookup, and a copy of the table still gives no usable token.
 */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export interface NewToken {
  readonly sandbox: string;
  readonly scopes: readonly TokenScope[];
  readonly description?: string;
}

/** Makes, checks and revokes tokens over a repository; the rules live here, once. */
export class TokenService {
  /** When each token's `last_used_at` was last written, so a busy token writes it once a minute, not per request. */
  private readonly touched = new Map<string, number>();

  constructor(
    readonly repository: TokenRepository,
    private readonly now: () => Date = () => new Date(),
    private readonly touchEveryMs = 60_000,
  ) {}

  /** The token is in the answer once and nowhere else: only its hash is kept. */
  async create(spec: NewToken): Promise<{ token: string; record: TokenRecord }> {
    if (spec.sandbox !== ALL_SANDBOXES && !SANDBOX_PATTERN.test(spec.sandbox)) {
      throw new StoreError(
        "INVALID_INPUT",
        `sandbox: must match ${SANDBOX_PATTERN}, or be "${ALL_SANDBOXES}" for all sandboxes`,
        "sandbox",
      );
    }
    if (spec.scopes.length === 0 || spec.scopes.some((s) => !TOKEN_SCOPES.includes(s))) {
      throw new StoreError("INVALID_INPUT", `scope: give one or more of ${TOKEN_SCOPES.join(", ")}`, "scope");
    }
    const token = generateToken();
    const record: TokenRecord = {
      id: `tok_${randomBytes(8).toString("hex")}`,
      sandbox: spec.sandbox,
      scopes: [...new Set(spec.scopes)].sort(),
      ...(spec.description ? { description: spec.description } : {}),
      createdAt: this.now().toISOString(),
    };
    await this.repository.insert(record, hashToken(token));
    return { token, record };
  }

  /** The live token `presented` stands for, or undefined when it is unknown, malformed or revoked. */
  async authenticate(presented: string): Promise<TokenRecord | undefined> {
    if (!TOKEN_PATTERN.test(presented)) return undefined;
    const record = await this.repository.findByHash(hashToken(presented));
    if (!record || record.revokedAt !== undefined) return undefined;
    const now = this.now();
    const last = this.touched.get(record.id) ?? 0;
    if (now.getTime() - last >= this.touchEveryMs) {
      this.touched.set(record.id, now.getTime());
      // Last use is a hint for whoever prunes tokens: a busy database must not turn a valid token away.
      await this.repository.touch(record.id, now.toISOString()).catch(() => undefined);
    }
    return record;
  }

  list(): Promise<TokenRecord[]> {
    return this.repository.list();
  }

  revoke(id: string): Promise<"revoked" | "already-revoked" | "absent"> {
    return this.repository.revoke(id, this.now().toISOString());
  }
}
