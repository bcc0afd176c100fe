/**
 * The OAuth2 client-credentials token cache of the vendor client: one token per token URL and
 * request body (by fingerprint), shared by concurrent sends, dropped a margin before it expires or
 * as soon as the vendor refuses it.
 */
import { retryPolicyOf, type Exchange, type VendorRetryOptions } from "./exchange";
import type { OAuth2Auth } from "./auth";
import { CustomVendorError, type CustomVendorErrorCode } from "./errors";
import type { ConnectionPools } from "./pools";
import { sha256 } from "./pools";
import { excerpt, redact, safeUrl, type Secrets } from "./redact";
import { withRetry } from "../retry";
import { SSRF_BLOCKED } from "../ssrf";

/** Lifetime assumed when a token answer has no `expires_in`; a 401 still triggers a refetch. */
const DEFAULT_TOKEN_LIFETIME_S = 300;

interface Token {
  readonly accessToken: string;
  readonly expiresAt: number;
}
interface TokenEntry {
  readonly promise: Promise<Token>;
  value?: Token;
}

export interface TokenCacheOptions extends VendorRetryOptions {
  /** A cached token is dropped this long before `expires_in` says (at most half its life). Default 30 s. */
  readonly tokenExpiryMarginMs?: number | undefined;
  /** Clock of the cache (ms). */
  readonly now?: (() => number) | undefined;
}

export class TokenCache {
  private readonly tokens = new Map<string, TokenEntry>();

  constructor(
    private readonly exchange: Exchange,
    private readonly pools: ConnectionPools,
    private readonly options: TokenCacheOptions,
  ) {}

  /** A cached, unexpired token, or a new one. `stale`: a token the vendor refused, never handed out again. */
  async accessToken(auth: OAuth2Auth, secrets: Secrets, stale?: string): Promise<string> {
    const key = `${auth.tokenUrl}\n${sha256(auth.body)}`;
    const now = this.options.now ?? Date.now;
    let entry = this.tokens.get(key);
    if (entry?.value && (now() >= entry.value.expiresAt || entry.value.accessToken === stale)) {
      this.tokens.delete(key);
      entry = undefined;
    }
    if (!entry) {
      const fresh: TokenEntry = { promise: this.fetchToken(auth, secrets) };
      fresh.promise.then(
        (t) => {
          fresh.value = t;
        },
        () => {
          if (this.tokens.get(key) === fresh) this.tokens.delete(key);
        },
      );
      this.tokens.set(key, fresh);
      entry = fresh;
    }
    const token = await entry.promise;
    secrets.add(token.accessToken);
    return token.accessToken;
  }

  private async fetchToken(auth: OAuth2Auth, secrets: Secrets): Promise<Token> {
    const url = parseUrl(auth.tokenUrl, "token-failed", "auth.tokenUrl");
    const where = safeUrl(url);
    const headers = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      "user-agent": "pulumi-sms-channels",
    };
    // Asking for a token again is harmless: the request is idempotent.
    const outcome = await withRetry(
      retryPolicyOf(this.options, "token"),
      "idempotent",
      () => this.exchange(url, headers, auth.body, this.pools.defaultAgent()),
      {
        sleep: this.options.sleep,
        random: this.options.random,
        codeOf: (e) => this.pools.failureOf(e, url, false).code,
      },
    );
    if (outcome.kind === "failed") {
      const failure = this.pools.failureOf(outcome.error, url, false);
      if (failure.code === SSRF_BLOCKED) {
        throw new CustomVendorError(
          "blocked",
          `auth.tokenUrl ${where}: ${failure.text}`,
          where,
          undefined,
          failure.code,
          {
            cause: outcome.error,
          },
        );
      }
      throw new CustomVendorError(
        "token-failed",
        redact(
          `could not get an OAuth2 token from ${where} (${failure.text}) after ${outcome.attempts} attempt(s)`,
          secrets,
        ),
        where,
        undefined,
        failure.code,
        { cause: outcome.error },
      );
    }
    const res = outcome.answer;
    if (res.status < 200 || res.status >= 300) {
      throw new CustomVendorError(
        "token-failed",
        redact(
          `the OAuth2 token endpoint ${where} refused the token request: HTTP ${res.status}${excerpt(res.body, secrets)}`,
          secrets,
        ),
        where,
        res.status,
      );
    }
    const bad = (why: string): CustomVendorError =>
      new CustomVendorError(
        "bad-token-response",
        redact(`the OAuth2 token endpoint ${where} answered HTTP ${res.status} ${why}`, secrets),
        where,
        res.status,
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      throw bad(`with something other than JSON${excerpt(res.body, secrets)}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw bad("with JSON that is not an object");
    }
    const { access_token, token_type, expires_in } = parsed as Record<string, unknown>;
    if (typeof access_token !== "string" || access_token === "") {
      throw bad("without an access_token string");
    }
    secrets.add(access_token);
    if (
      token_type !== undefined &&
      (typeof token_type !== "string" || token_type.toLowerCase() !== "bearer")
    ) {
      throw bad(
        `with token_type ${JSON.stringify(token_type).slice(0, 40)}; only Bearer tokens are supported`,
      );
    }
    const seconds =
      expires_in === undefined
        ? DEFAULT_TOKEN_LIFETIME_S
        : typeof expires_in === "number" || (typeof expires_in === "string" && expires_in.trim() !== "")
          ? Number(expires_in)
          : NaN;
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw bad("with an expires_in that is not a number of seconds");
    }
    const lifetimeMs = seconds * 1000;
    const margin = Math.min(this.options.tokenExpiryMarginMs ?? 30_000, lifetimeMs / 2);
    return { accessToken: access_token, expiresAt: (this.options.now ?? Date.now)() + lifetimeMs - margin };
  }
}

/** The schema has checked the URL already; this keeps a bad one from reaching undici or a message. */
export function parseUrl(raw: string, code: CustomVendorErrorCode, what: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new CustomVendorError(code, `${what} is not an absolute http(s) URL`, "");
  }
  url.username = "";
  url.password = "";
  return url;
}
