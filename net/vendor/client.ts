/**
 * The HTTP client of custom RCS vendors: posts a rendered payload to the vendor's `providerUrl`
 * with the credential's auth (basic, bearer, an API-key header, OAuth2 client credentials or mutual
 * TLS). Used by the provider's `CustomRcsCredential.verifyConnection` (on create and update, never in
 * preview) and by the store's webhook receiver for replies.
 *
 * Failures are CustomVendorErrors with a stable `code`; their messages name the URL (origin and
 * path), the HTTP status and a short excerpt of the answer with every known secret removed.
 */
import type { LookupFunction } from "node:net";
import type { Dispatcher } from "undici";
import { withRetry } from "../retry";
import { guardConnection, guardLookup, SSRF_BLOCKED } from "../ssrf";
import type { VendorAuth } from "./auth";
import { CustomVendorError } from "./errors";
import { exchangeWithin, retryPolicyOf, type Exchange, type VendorRetryOptions } from "./exchange";
import { ConnectionPools, type ConnectedTo } from "./pools";
import { excerpt, redact, safeUrl, secretsOf, type Secrets } from "./redact";
import { parseUrl, TokenCache } from "./token-cache";

export interface CustomVendorRequest {
  readonly providerUrl: string;
  readonly auth: VendorAuth;
  /** Extra headers; the auth header and Content-Type (always application/json) win over them. */
  readonly headers?: Record<string, string> | undefined;
  /** The rendered JSON payload (see renderPayload). */
  readonly payload: string;
}

export interface CustomVendorResponse {
  readonly status: number;
  readonly body: string;
  /** The `sid` of a JSON answer (as Twilio's Messages API gives), when it has one. */
  readonly messageSid?: string;
}

export interface CustomVendorClientOptions extends VendorRetryOptions {
  /** More trusted CAs (PEM), on top of Node's defaults and NODE_EXTRA_CA_CERTS. */
  readonly ca?: string | string[] | undefined;
  /** Per attempt, from connect to the last byte of the answer. Default 10 s. */
  readonly timeoutMs?: number | undefined;
  /** A cached OAuth2 token is dropped this long before `expires_in` says (at most half its life). Default 30 s. */
  readonly tokenExpiryMarginMs?: number | undefined;
  /** Clock of the token cache (ms). */
  readonly now?: (() => number) | undefined;
  /** Resolves the host names of providerUrl and tokenUrl (the seam of an address policy). */
  readonly lookup?: LookupFunction | undefined;
  /** Checks each new connection before the request is sent; a returned error fails the request. */
  readonly checkConnection?: ((to: ConnectedTo) => Error | undefined) | undefined;
  /**
   * Lets providerUrl and tokenUrl reach loopback, private, link-local and metadata addresses
   * (emulators, tests). Default false: the SSRF guard (net/ssrf.ts) refuses them at connect time.
   */
  readonly allowPrivateHosts?: boolean | undefined;
  /** How the user lifts the guard, for its message (default: the provider's config key and variable). */
  readonly howToAllowPrivateHosts?: string | undefined;
}

/**
 * One per process: keeps the connection pools (one per mTLS identity) and the OAuth2 token cache
 * (keyed by token URL and a fingerprint of the request body) across sends.
 */
export class CustomVendorClient {
  private readonly pools: ConnectionPools;
  private readonly tokens: TokenCache;
  private readonly exchange: Exchange;

  constructor(private readonly options: CustomVendorClientOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    let { lookup, checkConnection } = options;
    if (options.allowPrivateHosts !== true) {
      // After DNS (lookup) and again on the connected socket (an IP literal, a rebind): see net/ssrf.ts.
      const guard = { howToAllow: options.howToAllowPrivateHosts };
      const check = guardConnection(guard);
      const given = checkConnection;
      lookup = guardLookup(lookup, guard);
      checkConnection = (to) => check(to) ?? given?.(to);
    }
    this.pools = new ConnectionPools({ ca: options.ca, timeoutMs, lookup, checkConnection });
    this.exchange = exchangeWithin(timeoutMs);
    this.tokens = new TokenCache(this.exchange, this.pools, options);
  }

  /**
   * Posts `payload` to `providerUrl`. Resolves with a 2xx answer; rejects with a CustomVendorError
   * otherwise. The POST is repeated only when it surely never left, and once with a fresh OAuth2
   * token when the vendor answers 401 to a cached one.
   */
  async send(req: CustomVendorRequest): Promise<CustomVendorResponse> {
    const url = parseUrl(req.providerUrl, "unreachable", "providerUrl");
    const where = safeUrl(url);
    const secrets = secretsOf(req.auth);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    headers["content-type"] = "application/json";
    headers["accept"] ??= "application/json";
    headers["user-agent"] ??= "pulumi-sms-channels";
    let dispatcher: Dispatcher = this.pools.defaultAgent();
    const mtls = req.auth.type === "none" && req.auth.mtls !== undefined;
    let bearer: string | undefined;
    switch (req.auth.type) {
      case "basic":
        headers["authorization"] =
          "Basic " + Buffer.from(`${req.auth.username}:${req.auth.password}`).toString("base64");
        break;
      case "bearer":
        headers["authorization"] = `Bearer ${req.auth.token}`;
        break;
      case "apiKey":
        headers[req.auth.name.toLowerCase()] = req.auth.token;
        break;
      case "oauth2":
        bearer = await this.tokens.accessToken(req.auth, secrets);
        headers["authorization"] = `Bearer ${bearer}`;
        break;
      case "none":
        if (req.auth.mtls) dispatcher = this.pools.mtlsAgent(req.auth.mtls, where);
        break;
    }

    for (let refreshed = false; ; refreshed = true) {
      const res = await this.post({ url, where, headers, payload: req.payload, dispatcher, mtls, secrets });
      if (res.status >= 200 && res.status < 300) {
        const sid = messageSidOf(res.body);
        const answer = { status: res.status, body: res.body };
        return sid === undefined ? answer : { ...answer, messageSid: sid };
      }
      if (res.status === 401 && req.auth.type === "oauth2" && bearer !== undefined && !refreshed) {
        bearer = await this.tokens.accessToken(req.auth, secrets, bearer);
        headers["authorization"] = `Bearer ${bearer}`;
        continue;
      }
      const auth = res.status === 401 || res.status === 403;
      throw new CustomVendorError(
        auth ? "auth-failed" : "rejected",
        redact(
          `the custom vendor at ${where} ${auth ? "refused the credentials" : "rejected the message"}: ` +
            `HTTP ${res.status}${excerpt(res.body, secrets)}`,
          secrets,
        ),
        where,
        res.status,
      );
    }
  }

  /** Closes every connection pool. The client stays usable (pools are reopened on demand). */
  async close(): Promise<void> {
    await this.pools.close();
  }

  private async post(p: {
    url: URL;
    where: string;
    headers: Record<string, string>;
    payload: string;
    dispatcher: Dispatcher;
    mtls: boolean;
    secrets: Secrets;
  }): Promise<{ status: number; body: string }> {
    const { url, where, secrets } = p;
    const outcome = await withRetry(
      retryPolicyOf(this.options, "send"),
      "if-never-sent",
      () => this.exchange(url, p.headers, p.payload, p.dispatcher),
      {
        sleep: this.options.sleep,
        random: this.options.random,
        codeOf: (e) => this.pools.failureOf(e, url, p.mtls).code,
      },
    );
    if (outcome.kind === "answer") return outcome.answer;
    const failure = this.pools.failureOf(outcome.error, url, p.mtls);
    if (failure.code === SSRF_BLOCKED) {
      throw new CustomVendorError(
        "blocked",
        `providerUrl ${where}: ${failure.text}`,
        where,
        undefined,
        failure.code,
        {
          cause: outcome.error,
        },
      );
    }
    throw new CustomVendorError(
      failure.clientCertRefused ? "auth-failed" : "unreachable",
      redact(
        failure.clientCertRefused
          ? `the custom vendor at ${where} refused the TLS client certificate (${failure.text})`
          : `could not reach the custom vendor at ${where} (${failure.text}) after ${outcome.attempts} attempt(s)` +
              (failure.code === "timed out" ? "; the message may or may not have been sent" : ""),
        secrets,
      ),
      where,
      undefined,
      failure.code,
      { cause: outcome.error },
    );
  }
}

function messageSidOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      const sid = (parsed as { sid?: unknown }).sid;
      if (typeof sid === "string" && sid !== "") return sid;
    }
  } catch {
    // Not JSON: no SID.
  }
  return undefined;
}
