import type { IncomingMessage } from "node:http";
import { TwilioApiError } from "./errors";

/** Request bodies: Twilio takes `application/x-www-form-urlencoded`; Messages also takes JSON here. */

export const MAX_BODY_BYTES = 1024 * 1024;

export interface RequestBody {
  readonly contentType: string;
  readonly raw: Buffer;
}

export function readBody(req: IncomingMessage): Promise<RequestBody> {
  const contentType = req.headers["content-type"] ?? "";
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new TwilioApiError(413, 20001, "Request body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve({ contentType, raw: Buffer.concat(chunks) }));
    req.on("error", reject);
  });
}

export function isJson(contentType: string): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType.trim());
}

/** Form parameters; repeated ones keep the last value. */
export function parseForm(raw: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(raw.toString("utf8")));
}

/**
 * A JSON object body as parameters: strings as they are, numbers and booleans as text; nested values
 * and nulls are left out. A body that is not a JSON object is 400, code 20001.
 */
export function parseJsonParams(raw: Buffer): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    throw TwilioApiError.invalidParameter("Invalid JSON body");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw TwilioApiError.invalidParameter("The JSON body must be an object");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
  }
  return out;
}

/** The body's parameters, JSON or form as its Content-Type says. */
export function parseParams(body: RequestBody, allowJson: boolean): Record<string, string> {
  if (body.raw.length === 0) return {};
  if (allowJson && isJson(body.contentType)) return parseJsonParams(body.raw);
  return parseForm(body.raw);
}
