/**
 * The HTTP transport of custom RCS vendors: posts a rendered payload to the vendor's `providerUrl`
 * with the credential's auth (basic, bearer, an API-key header, OAuth2 client credentials or mutual
 * TLS). Used by `CustomRcsCredential.verifyConnection`, on create and update, never in preview.
 *
 * Trust: Node's default CAs plus NODE_EXTRA_CA_CERTS (read by Node at start), plus the `ca` option.
 * Failures are CustomVendorErrors with a stable `code`; their messages name the URL (origin and
 * path), the HTTP status and a short excerpt of the answer with every known secret removed, and never
 * hold a password, token, client secret, private key or Authorization header.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext, rootCertificates } from "node:tls";
import type { Socket } from "node:net";
import { Agent, buildConnector, request, type Dispatcher } from "undici";
import type { CustomAuth } from "../schema/customRcsCredential";
import { backoffDelay } from "../../store/client/backoff";
import { networkErrorCode } from "../net";

export type CustomVendorErrorCode =
  /** No HTTP answer: connection refused or dropped, DNS, timeout, or the server's certificate is not trusted. */
  | "unreachable"
  /** The vendor refused the credentials: HTTP 401/403, or the TLS client certificate was refused or unusable. */
  | "auth-failed"
  /** The vendor answered with any other non-2xx status (a redirect included: none is followed). */
  | "rejected"
  /** The OAuth2 token endpoint could not be reached or answered with a non-2xx status. */
  | "token-failed"
  /** The OAuth2 token endpoint answered 2xx, but not with a usable `{ access_token, token_type, expires_in }`. */
  | "bad-token-response";

/** A failed send. Its message and fields are safe to print: no secret ever reaches them. */
export class CustomVendorError extends Error {
  override readonly name = "CustomVendorError";
  constructor(
    readonly code: CustomVendorErrorCode,
    message: string,
    /** Origin and path of the URL that failed (providerUrl or tokenUrl), no query. */
    readonly url: string,
    /** The HTTP status, when there was an answer. */
    readonly status?: number,
    /** The network or TLS error code (ECONNREFUSED, ERR_SSL_…, "timed out"), when there was no answer. */
    readonly reason?: string,
  ) {
    super(message);
  }
  static isInstance(e: unknown): e is CustomVendorError {
    return typeof e === "object" && e !== null && (e as { name?: unknown }).name === "CustomVendorError";
  }
}

export interface CustomVendorRequest {
  readonly providerUrl: string;
  readonly auth: CustomAuth;
  /** Extra headers; the auth header and Content-Type (always application/json) win over them. */
  readonly headers?: Record<string, string>;
  /** The rendered JSON payload (see renderPayload). */
  readonly payload: string;
}

export interface CustomVendorResponse {
  readonly status: number;
  readonly body: string;
  /** The `sid` of a JSON answer (as Twilio's Messages API gives), when it has one. */
  readonly messageSid?: string;
}

export interface CustomVendorClientOptions {
  /** More trusted CAs (PEM), on top of Node's defaults and NODE_EXTRA_CA_CERTS. */
  readonly ca?: string | string[];
  /** Per attempt, from connect to the last byte of the answer. Default 10 s. */
  readonly timeoutMs?: number;
  /** A cached OAuth2 token is dropped this long before `expires_in` says (at most half its life). Default 30 s. */
  readonly tokenExpiryMarginMs?: number;
  /** Attempts in all of a token fetch, or of a POST whose connection was refused. Default 3. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Clock of the token cache (ms). */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

type OAuth2Auth = Extract<CustomAuth, { type: "oauth2" }>;
type Mtls = NonNullable<Extract<CustomAuth, { type: "none" }>["mtls"]>;

interface Token {
  readonly accessToken: string;
  readonly expiresAt: number;
}
interface TokenEntry {
  readonly promise: Promise<Token>;
  value?: Token;
}

/** Lifetime assumed when a token answer has no `expires_in`; a 401 still triggers a refetch. */
const DEFAULT_TOKEN_LIFETIME_S = 300;
const EXCERPT_CHARS = 200;
/** A secret shorter than this cannot be cut out of a body without mangling it: the body is then left out. */
const MIN_REDACTABLE = 4;
const REDACTED = "[redacted]";
/** Form fields of a token request that are not secret (kept in messages). */
const PUBLIC_FORM_FIELDS = new Set(["grant_type", "scope", "audience", "resource"]);

const RETRYABLE_TOKEN_STATUS = new Set([429, 500, 502, 503, 504]);
/** The request surely never left: a POST may be retried. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "EAI_AGAIN"]);
/** TLS alerts by which a server refuses our client certificate (or its absence). */
const CLIENT_CERT_REFUSED = new Set([
  "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
  "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
  "ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN",
  "ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED",
  "ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED",
  "ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
  "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
  "ERR_SSL_TLSV1_ALERT_ACCESS_DENIED",
]);
/** Our verdicts on the server's certificate. */
const SERVER_CERT_UNTRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REVOKED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * One per provider process: keeps the connection pools (one per mTLS identity) and the OAuth2 token
 * cache (keyed by token URL and a fingerprint of the request body) across sends.
 */
export class CustomVendorClient {
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly agents = new Map<string, Agent>();
  /** The first error each socket saw, by "localPort:remotePort": undici reports a TLS alert that arrives after the handshake as "other side closed". */
  private readonly socketErrors = new Map<string, string>();
  private readonly extraCa: string[] | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: CustomVendorClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const ca = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
    // An explicit `ca` replaces Node's whole trust store (NODE_EXTRA_CA_CERTS included): add them back.
    this.extraCa = ca.length > 0 ? [...rootCertificates, ...nodeExtraCaCerts(), ...ca] : undefined;
  }

  /**
   * Posts `payload` to `providerUrl`. Resolves with a 2xx answer; rejects with a CustomVendorError
   * otherwise. The POST is repeated only when its connection was refused, and once with a fresh
   * OAuth2 token when the vendor answers 401 to a cached one.
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
    let dispatcher = this.defaultAgent();
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
        bearer = await this.accessToken(req.auth, secrets);
        headers["authorization"] = `Bearer ${bearer}`;
        break;
      case "none":
        if (req.auth.mtls) dispatcher = this.mtlsAgent(req.auth.mtls, where);
        break;
    }

    for (let refreshed = false; ; refreshed = true) {
      const res = await this.post({ url, where, headers, payload: req.payload, dispatcher, mtls, secrets });
      if (res.status >= 200 && res.status < 300) {
        const sid = messageSidOf(res.body);
        return sid === undefined ? res : { ...res, messageSid: sid };
      }
      if (res.status === 401 && req.auth.type === "oauth2" && bearer !== undefined && !refreshed) {
        bearer = await this.accessToken(req.auth, secrets, bearer);
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
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close()));
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
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.exchange(url, p.headers, p.payload, p.dispatcher);
      } catch (e) {
        const failure = this.failureOf(e, url, p.mtls);
        if (NOT_SENT_CODES.has(failure.code) && attempt < maxAttempts) {
          await this.pause(attempt);
          continue;
        }
        throw new CustomVendorError(
          failure.clientCertRefused ? "auth-failed" : "unreachable",
          redact(
            failure.clientCertRefused
              ? `the custom vendor at ${where} refused the TLS client certificate (${failure.text})`
              : `could not reach the custom vendor at ${where} (${failure.text}) after ${attempt} attempt(s)` +
                  (failure.code === "timed out" ? "; the message may or may not have been sent" : ""),
            secrets,
          ),
          where,
          undefined,
          failure.code,
        );
      }
    }
  }

  private async exchange(
    url: URL,
    headers: Record<string, string>,
    body: string,
    dispatcher: Dispatcher,
  ): Promise<{ status: number; body: string }> {
    const r = await request(url, {
      method: "POST",
      headers,
      body,
      dispatcher,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    return { status: r.statusCode, body: await r.body.text() };
  }

  // ---- OAuth2 client credentials ----

  /** A cached, unexpired token, or a new one. `stale`: a token the vendor refused, never handed out again. */
  private async accessToken(auth: OAuth2Auth, secrets: Secrets, stale?: string): Promise<string> {
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
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 3);
    const headers = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      "user-agent": "pulumi-sms-channels",
    };
    let res: { status: number; body: string } | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await this.exchange(url, headers, auth.body, this.defaultAgent());
        if (!RETRYABLE_TOKEN_STATUS.has(res.status) || attempt >= maxAttempts) break;
      } catch (e) {
        const failure = this.failureOf(e, url, false);
        // Asking for a token again is harmless; a certificate we do not trust will not change.
        if (failure.serverCertUntrusted || attempt >= maxAttempts) {
          throw new CustomVendorError(
            "token-failed",
            redact(
              `could not get an OAuth2 token from ${where} (${failure.text}) after ${attempt} attempt(s)`,
              secrets,
            ),
            where,
            undefined,
            failure.code,
          );
        }
      }
      await this.pause(attempt);
    }
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

  // ---- connections ----

  private defaultAgent(): Agent {
    return this.agent("default", undefined);
  }

  private mtlsAgent(mtls: Mtls, where: string): Agent {
    const key = `mtls:${sha256(`${mtls.cert}\n${mtls.key}`)}`;
    if (!this.agents.has(key)) {
      try {
        createSecureContext({ cert: mtls.cert, key: mtls.key });
      } catch (e) {
        throw new CustomVendorError(
          "auth-failed",
          `the mutual-TLS certificate and key for ${where} cannot be used together (${networkErrorCode(e)})`,
          where,
          undefined,
          networkErrorCode(e),
        );
      }
    }
    return this.agent(key, mtls);
  }

  private agent(key: string, mtls: Mtls | undefined): Agent {
    let agent = this.agents.get(key);
    if (!agent) {
      const base = buildConnector({
        timeout: this.timeoutMs,
        ...(this.extraCa ? { ca: this.extraCa } : {}),
        ...(mtls ? { cert: mtls.cert, key: mtls.key } : {}),
      });
      const errors = this.socketErrors;
      const connect: buildConnector.connector = (opts, callback) =>
        base(opts, (err, socket) => {
          if (socket) {
            const s = socket as Socket;
            const id = `${s.localPort}:${s.remotePort}`;
            errors.delete(id);
            s.once("error", (e: unknown) => {
              if (errors.size >= 256) errors.delete(errors.keys().next().value ?? "");
              errors.set(id, networkErrorCode(e));
            });
            callback(null, socket);
          } else {
            callback(err ?? new Error("connect failed"), null);
          }
        });
      agent = new Agent({ connect, keepAliveTimeout: 10_000, connections: 8 });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Names a failure to connect or to get an answer, without quoting anything from the error's message. */
  private failureOf(
    e: unknown,
    url: URL,
    mtls: boolean,
  ): {
    code: string;
    text: string;
    clientCertRefused: boolean;
    serverCertUntrusted: boolean;
  } {
    let code = networkErrorCode(e);
    if (code === "UND_ERR_SOCKET") {
      const info = (e as { socket?: { localPort?: unknown; remotePort?: unknown } }).socket;
      const seen = info
        ? this.socketErrors.get(`${String(info.localPort)}:${String(info.remotePort)}`)
        : undefined;
      if (seen !== undefined && seen !== "UND_ERR_SOCKET") code = seen;
    }
    const clientCertRefused = CLIENT_CERT_REFUSED.has(code);
    const serverCertUntrusted = SERVER_CERT_UNTRUSTED.has(code);
    let text = describeCode(code, this.timeoutMs);
    if ((code === "UND_ERR_SOCKET" || code === "ECONNRESET") && url.protocol === "https:") {
      // Some servers (Node's among them) drop a refused client certificate without a TLS alert.
      text += mtls
        ? "; it may have refused the TLS client certificate"
        : "; if it requires a TLS client certificate, set auth.mtls";
    }
    return { code, text, clientCertRefused, serverCertUntrusted };
  }

  private async pause(attempt: number): Promise<void> {
    const ms = backoffDelay(
      attempt,
      {
        baseDelayMs: this.options.baseDelayMs ?? 200,
        maxDelayMs: this.options.maxDelayMs ?? 2_000,
      },
      this.options.random,
    );
    await (this.options.sleep ?? ((t: number) => new Promise<void>((resolve) => setTimeout(resolve, t))))(ms);
  }
}

// ---- helpers ----

let extraCaCache: string[] | undefined;
/** The certificates Node added from NODE_EXTRA_CA_CERTS at start (an explicit `ca` would drop them). */
function nodeExtraCaCerts(): string[] {
  if (extraCaCache) return extraCaCache;
  const file = process.env["NODE_EXTRA_CA_CERTS"];
  let certs: string[] = [];
  if (file) {
    try {
      certs =
        readFileSync(file, "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ??
        [];
    } catch {
      certs = []; // Node itself only warns about an unreadable file.
    }
  }
  extraCaCache = certs;
  return certs;
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** The schema has checked the URL already; this keeps a bad one from reaching undici or a message. */
function parseUrl(raw: string, code: CustomVendorErrorCode, what: string): URL {
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

/** Origin and path: no query, no credentials. */
function safeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
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

function describeCode(code: string, timeoutMs: number): string {
  switch (code) {
    case "timed out":
      return `no answer within ${timeoutMs / 1000} s`;
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection closed by the server";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "UND_ERR_INVALID_ARG":
      return "a header name or value is not valid in HTTP";
    case "UND_ERR_CONNECT_TIMEOUT":
      return `could not connect within ${timeoutMs / 1000} s`;
    case "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED":
      return "the server requires a TLS client certificate; set auth.mtls";
  }
  if (SERVER_CERT_UNTRUSTED.has(code)) {
    return `the server's TLS certificate is not trusted: ${code}; add its CA to NODE_EXTRA_CA_CERTS`;
  }
  if (CLIENT_CERT_REFUSED.has(code)) return `TLS alert ${code}`;
  return code;
}

// ---- keeping secrets out of messages ----

/** Secret strings (and their encodings) to cut out of any message. */
class Secrets {
  private readonly values = new Set<string>();
  /** A secret too short to cut out safely: answer bodies are then left out of messages. */
  tooShort = false;

  add(secret: string): void {
    if (secret === "") return;
    if (secret.length < MIN_REDACTABLE) {
      this.tooShort = true;
      return;
    }
    for (const form of [
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ x: secret }).toString().slice(2),
      JSON.stringify(secret).slice(1, -1),
      Buffer.from(secret).toString("base64"),
    ]) {
      if (form.length >= MIN_REDACTABLE) this.values.add(form);
    }
  }

  /** Longest first, so a secret that holds another is cut whole. */
  list(): string[] {
    return [...this.values].sort((a, b) => b.length - a.length);
  }
}

function secretsOf(auth: CustomAuth): Secrets {
  const s = new Secrets();
  switch (auth.type) {
    case "basic":
      s.add(auth.password);
      s.add(`${auth.username}:${auth.password}`);
      break;
    case "bearer":
    case "apiKey":
      s.add(auth.token);
      break;
    case "oauth2":
      s.add(auth.body);
      for (const [k, v] of new URLSearchParams(auth.body)) if (!PUBLIC_FORM_FIELDS.has(k)) s.add(v);
      break;
    case "none":
      if (auth.mtls) {
        s.add(auth.mtls.key.trim());
        const b64 = auth.mtls.key.replace(/-----[A-Z0-9 ]+-----/g, "");
        s.add(b64.replace(/\s+/g, ""));
        for (const line of b64.split(/\s+/)) if (line.length >= 16) s.add(line);
      }
      break;
  }
  return s;
}

/** Cuts every known secret, private-key block, Authorization value and secret-named field out of `text`. */
function redact(text: string, secrets: Secrets): string {
  let out = text;
  for (const v of secrets.list()) out = out.split(v).join(REDACTED);
  return out
    .replace(
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
      REDACTED,
    )
    .replace(/\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]{12,}/gi, `$1 ${REDACTED}`)
    .replace(
      /("(?:access_token|refresh_token|id_token|client_secret|password|passwd|secret|token|api_?key)"\s*:\s*")(?:[^"\\]|\\.)*"/gi,
      `$1${REDACTED}"`,
    )
    .replace(
      /\b(client_secret|password|access_token|refresh_token|api_?key|token)=[^&\s"']+/gi,
      `$1=${REDACTED}`,
    );
}

/** ": <at most 200 chars of the answer, secrets cut>", or "" for an empty answer. */
function excerpt(body: string, secrets: Secrets): string {
  if (body.trim() === "") return "";
  if (secrets.tooShort) return " (answer left out: a secret is too short to cut out of it)";
  const flat = redact(body, secrets)
    // eslint-disable-next-line no-control-regex -- control characters are what this removes
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return `: ${flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat}`;
}
