/**
 * Keeping secrets out of messages: every error of the vendor client names the URL (origin and path),
 * the HTTP status and a short excerpt of the answer with every known secret cut out, and never holds
 * a password, token, client secret, private key or Authorization header.
 */
import type { VendorAuth } from "./auth";

const EXCERPT_CHARS = 200;
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

/** ": <at most 200 chars of the answer, secrets cut>", or "" for an empty answer. */
export function excerpt(body: string, secrets: Secrets): string {
  if (body.trim() === "") return "";
  if (secrets.tooShort) return " (answer left out: a secret is too short to cut out of it)";
  const flat = redact(body, secrets)
    // eslint-disable-next-line no-control-regex -- control characters are what this removes
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return `: ${flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat}`;
}

/** Origin and path: no query, no credentials. */
export function safeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
