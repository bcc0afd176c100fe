/**
 * Keeping secrets out of messages: every error of the vendor client names the URL (origin and path),
 * the HTTP status and a short, sanitized summary of the answer (at most 80 printable characters, no
 * control or invisible characters, no HTML, every known secret and anything token-like cut out), and
 * never holds a password, token, client secret, private key or Authorization header. A vendor's
 * answer is the attacker's text when the URL is theirs: it is shown only as that summary.
 */
import type { VendorAuth } from "./auth";

const EXCERPT_CHARS = 80;
/** A secret shorter than this cannot be cut out of a body without mangling it: the body is then left out. */
const MIN_REDACTABLE = 4;
const REDACTED = "[redacted]";
/** Form fields of a token request that are not secret (kept in messages). */
const PUBLIC_FORM_FIELDS = new Set(["grant_type", "scope", "audience", "resource"]);

/** Secret strings (and their encodings) to cut out of any message. */
export class Secrets {
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

export function secretsOf(auth: VendorAuth): Secrets {
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
export function redact(text: string, secrets: Secrets): string {
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

/** Opaque runs a vendor may echo (JWTs, keys, session ids) that we cannot know to be secret or not. */
const TOKEN_LIKE = /[A-Za-z0-9_\-.+/=]{32,}/g;
/** C0/C1 controls, and characters that hide or reorder text on a terminal (bidi controls, zero-width). */
// eslint-disable-next-line no-control-regex -- control characters are what this removes
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+/g;

/**
 * ": <summary>" of a vendor's answer, or "" for an empty one: at most 80 printable characters of it,
 * with secrets and token-like runs cut out; an HTML page is only named, never quoted.
 */
export function excerpt(body: string, secrets: Secrets): string {
  if (body.trim() === "") return "";
  if (secrets.tooShort) return " (answer left out: a secret is too short to cut out of it)";
  if (
    /^\s*<(!doctype|html|head|body|\?xml)\b/i.test(body) ||
    /<\/?(html|body|script|div|p|h1)\b/i.test(body)
  ) {
    return " (an HTML page, not quoted)";
  }
  const flat = redact(body, secrets)
    .replace(/<[^>]*>/g, " ")
    .replace(UNPRINTABLE, " ")
    .replace(TOKEN_LIKE, REDACTED)
    .replace(/\s+/g, " ")
    .trim();
  const chars = [...flat]; // by code point, so a cut never splits a surrogate pair
  return `: ${chars.length > EXCERPT_CHARS ? `${chars.slice(0, EXCERPT_CHARS).join("")}…` : flat}`;
}

/** Origin and path: no query, no credentials. */
export function safeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
