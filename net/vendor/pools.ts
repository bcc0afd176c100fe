/**
 * The vendor client's connections: one undici pool per mutual-TLS identity (and one without), all
 * built in `agent()`, with the trust store and the connect-time checks in one place, and the
 * attribution of TLS failures that undici reports vaguely.
 *
 * Trust: Node's default CAs plus NODE_EXTRA_CA_CERTS (read by Node at start), plus the `ca` option.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LookupFunction, Socket } from "node:net";
import { createSecureContext, rootCertificates } from "node:tls";
import type { Agent, buildConnector } from "undici";
import { describeNetworkCode, NetworkError, networkErrorCode, SERVER_CERT_UNTRUSTED } from "../errors";
import { SSRF_BLOCKED } from "../ssrf";
import { undiciParts } from "../undici";
import type { Mtls } from "./auth";
import { CustomVendorError } from "./errors";

/** Where a connection went, for a connect-time check. */
export interface ConnectedTo {
  /** The host name of the URL (or its IP literal). */
  readonly hostname: string;
  /** The address the socket is connected to. */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

export interface PoolOptions {
  /** More trusted CAs (PEM), on top of Node's defaults and NODE_EXTRA_CA_CERTS. */
  readonly ca?: string | string[] | undefined;
  /** Time to connect (and per attempt). */
  readonly timeoutMs: number;
  /** Resolves host names for every connection (e.g. to refuse private addresses before connecting). */
  readonly lookup?: LookupFunction | undefined;
  /**
   * Called once each connection is open, before a byte of the request is sent; an error it returns
   * closes the connection and fails the request with that error (its `code` names the failure).
   */
  readonly checkConnection?: ((to: ConnectedTo) => Error | undefined) | undefined;
}

/** How a failure reads in a message, and what it means for the credentials. */
export interface Failure {
  readonly code: string;
  readonly text: string;
  readonly clientCertRefused: boolean;
  readonly serverCertUntrusted: boolean;
}

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

export class ConnectionPools {
  private readonly agents = new Map<string, Agent>();
  /** The first error each socket saw, by "localPort:remotePort": undici reports a TLS alert that arrives after the handshake as "other side closed". */
  private readonly socketErrors = new Map<string, string>();
  private readonly extraCa: string[] | undefined;

  constructor(private readonly options: PoolOptions) {
    const ca = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
    // An explicit `ca` replaces Node's whole trust store (NODE_EXTRA_CA_CERTS included): add them back.
    this.extraCa = ca.length > 0 ? [...rootCertificates, ...nodeExtraCaCerts(), ...ca] : undefined;
  }

  defaultAgent(): Agent {
    return this.agent("default", undefined);
  }

  /** The pool of one client certificate; `where` names the URL in the error when cert and key do not match. */
  mtlsAgent(mtls: Mtls, where: string): Agent {
    const key = `mtls:${sha256(`${mtls.cert}\n${mtls.key}`)}`;
    if (!this.agents.has(key)) {
      try {
        createSecureContext({ cert: mtls.cert, key: mtls.key });
      } catch (e) {
        const code = networkErrorCode(e);
        throw new CustomVendorError(
          "auth-failed",
          `the mutual-TLS certificate and key for ${where} cannot be used together (${code})`,
          where,
          undefined,
          code,
        );
      }
    }
    return this.agent(key, mtls);
  }

  /** Closes every pool. The pools are reopened on demand. */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close()));
  }

  /** The one place a dispatcher of the vendor client is built. */
  private agent(key: string, mtls: Mtls | undefined): Agent {
    let agent = this.agents.get(key);
    if (!agent) {
      const undici = undiciParts();
      const base = undici.buildConnector({
        timeout: this.options.timeoutMs,
        ...(this.extraCa ? { ca: this.extraCa } : {}),
        ...(mtls ? { cert: mtls.cert, key: mtls.key } : {}),
        ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
      });
      const errors = this.socketErrors;
      const check = this.options.checkConnection;
      const connect: buildConnector.connector = (opts, callback) =>
        base(opts, (err, socket) => {
          if (!socket) {
            // undici gives an error with every missing socket; should it not, a coded socket error
            // (not "never sent": the request is then not sent again unless it is idempotent).
            callback(err ?? new undici.errors.SocketError("connect failed"), null);
            return;
          }
          const s = socket as Socket;
          const refused = check?.({
            hostname: opts.hostname,
            remoteAddress: s.remoteAddress,
            remotePort: s.remotePort,
          });
          if (refused) {
            s.destroy();
            callback(refused, null);
            return;
          }
          const id = `${s.localPort}:${s.remotePort}`;
          errors.delete(id);
          s.once("error", (e: unknown) => {
            if (errors.size >= 256) errors.delete(errors.keys().next().value ?? "");
            errors.set(id, networkErrorCode(e));
          });
          callback(null, socket);
        });
      agent = new undici.Agent({ connect, keepAliveTimeout: 10_000, connections: 8 });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Names a failure to connect or to get an answer, without quoting anything from the error's message. */
  failureOf(e: unknown, url: URL, mtls: boolean): Failure {
    let code = networkErrorCode(e);
    if (code === "UND_ERR_SOCKET") {
      const info = (e as { socket?: { localPort?: unknown; remotePort?: unknown } }).socket;
      const seen = info
        ? this.socketErrors.get(`${String(info.localPort)}:${String(info.remotePort)}`)
        : undefined;
      if (seen !== undefined && seen !== "UND_ERR_SOCKET") code = seen;
    }
    if (code === SSRF_BLOCKED) {
      // The guard's own message names the host, why, and how to allow it; it holds no secret.
      return {
        code,
        text: refusalOf(e)?.message ?? describeNetworkCode(code),
        clientCertRefused: false,
        serverCertUntrusted: false,
      };
    }
    let text = describeCode(code, this.options.timeoutMs);
    if ((code === "UND_ERR_SOCKET" || code === "ECONNRESET") && url.protocol === "https:") {
      // Some servers (Node's among them) drop a refused client certificate without a TLS alert.
      text += mtls
        ? "; it may have refused the TLS client certificate"
        : "; if it requires a TLS client certificate, set auth.mtls";
    }
    return {
      code,
      text,
      clientCertRefused: CLIENT_CERT_REFUSED.has(code),
      serverCertUntrusted: SERVER_CERT_UNTRUSTED.has(code),
    };
  }
}

/** The SSRF guard's refusal along the `cause` chain. */
function refusalOf(e: unknown): NetworkError | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && typeof cur === "object" && cur !== null; depth++) {
    if (NetworkError.isInstance(cur) && cur.code === SSRF_BLOCKED) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

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

function describeCode(code: string, timeoutMs: number): string {
  switch (code) {
    case "timed out":
      return `no answer within ${timeoutMs / 1000} s`;
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection closed by the server";
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
  return describeNetworkCode(code);
}
