import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { DEFAULT_SIGNATURE_HEADER } from "../../contract/defaults";

/**
 * Authenticity of a delivery, checked before anything is read into the ledger. Every comparison is
 * constant-time on equal lengths; a length mismatch is a plain refusal (lengths are not secret).
 */

export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === "string" ? Buffer.from(a, "utf8") : a;
  const y = typeof b === "string" ? Buffer.from(b, "utf8") : b;
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1, keyed with the account's auth token, over the full
 * URL Twilio requested followed by every form parameter, sorted by name, as name then value.
 * Parameters of the same name are sorted by value too, as Twilio's own helper libraries do.
 */
export function twilioSignature(authToken: string, url: string, params: readonly [string, string][]): string {
  return createHmac("sha1", authToken)
    .update(url, "utf8")
    .update(twilioSignedParams(params), "utf8")
    .digest("base64");
}

/** The parameters as the signature covers them: sorted, each name then value, nothing between. */
export function twilioSignedParams(params: readonly [string, string][]): string {
  const sorted = [...params].sort(([ak, av], [bk, bv]) =>
    ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0,
  );
  return sorted.map(([k, v]) => k + v).join("");
}

export function verifyTwilio(
  authToken: string,
  url: string,
  params: readonly [string, string][],
  header: string | undefined,
): boolean {
  if (!header) return false;
  return safeEqual(twilioSignature(authToken, url, params), header.trim());
}

export const VERIFICATION_TYPES = ["basic", "bearer", "hmac-sha256"] as const;
export type VerificationType = (typeof VERIFICATION_TYPES)[number];

export interface CustomVerification {
  readonly type: VerificationType;
  /** hmac-sha256: where the signature comes (default X-Signature). */
  readonly header?: string;
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
  readonly secret?: string;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** A custom vendor's proof: HTTP Basic, a bearer token, or an HMAC-SHA256 of the raw body (hex or base64). */
export function verifyCustom(v: CustomVerification, headers: IncomingHttpHeaders, rawBody: Buffer): boolean {
  switch (v.type) {
    case "basic": {
      if (v.username === undefined || v.password === undefined) return false;
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header(headers, "authorization") ?? "");
      if (!m?.[1]) return false;
      const expected = Buffer.from(`${v.username}:${v.password}`, "utf8");
      return safeEqual(Buffer.from(m[1], "base64"), expected);
    }
    case "bearer": {
      if (!v.token) return false;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header(headers, "authorization") ?? "");
      return m?.[1] !== undefined && safeEqual(m[1], v.token);
    }
    case "hmac-sha256": {
      if (!v.secret) return false;
      const given = header(headers, v.header ?? DEFAULT_SIGNATURE_HEADER)
        ?.trim()
        .replace(/^sha256=/i, "");
      if (!given) return false;
      const mac = createHmac("sha256", v.secret).update(rawBody).digest();
      if (/^[0-9a-fA-F]{64}$/.test(given)) return safeEqual(Buffer.from(given, "hex"), mac);
      if (/^[A-Za-z0-9+/_-]{43}=?$/.test(given)) return safeEqual(Buffer.from(given, "base64"), mac);
      return false;
    }
    default: {
      const never: never = v.type;
      return never;
    }
  }
}
