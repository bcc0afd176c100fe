import type { IncomingMessage, ServerResponse } from "node:http";
import { type ErrorBody, HEADER, STATUS_OF_CODE } from "../api/wire";
import { StoreError } from "../errors";

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length over the limit is refused
 * before a byte is read; a body that grows past it (chunked) is refused as soon as it does.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = (): StoreError =>
    new StoreError("PAYLOAD_TOO_LARGE", `the request body is larger than ${limit} bytes`, undefined, {
      limit,
    });
  if (Number(req.headers["content-length"] ?? "0") > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Listeners, not async iteration: leaving a `for await` destroys the socket, and the 413 with it.
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.pause();
      reject(tooLarge());
    };
    let ended = false;
    req.on("data", onData);
    req.once("end", () => {
      ended = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.once("error", reject);
    // Every request closes, most after their body ended: the error (and its stack, a few % of a
    // busy receiver's CPU) is made only for one that did not.
    req.once("close", () => {
      if (!ended)
        reject(new StoreError("INVALID_INPUT", "the client closed the request before its body ended"));
    });
  });
}

/** Deeper than any record needs; far from where a recursive walk (canonical JSON, zod) overflows. */
export const MAX_JSON_DEPTH = 32;

/** A JSON object body. The parser's own message is not passed on: it quotes the input, secrets too. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new StoreError("INVALID_INPUT", "body: not valid JSON", "body");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new StoreError("INVALID_INPUT", "body: must be a JSON object", "body");
  }
  checkJsonValue(value);
  return value as Record<string, unknown>;
}

/**
 * Refuses, iteratively (a recursive walk is what overflows), JSON nested deeper than MAX_JSON_DEPTH
 * and strings holding NUL, which PostgreSQL cannot store (and no legitimate field contains).
 */
export function checkJsonValue(root: unknown): void {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value, depth } = item;
    if (typeof value === "string") {
      if (value.includes("\u0000"))
        throw new StoreError("INVALID_INPUT", "body: a string holds a NUL character", "body");
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new StoreError("INVALID_INPUT", `body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`, "body");
    }
    for (const [k, v] of Object.entries(value)) {
      if (k.includes("\u0000"))
        throw new StoreError("INVALID_INPUT", "body: a key holds a NUL character", "body");
      stack.push({ value: v, depth: depth + 1 });
    }
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    // Nothing this service answers may be kept by a cache or proxy: records name credentials.
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

export function errorBody(e: StoreError, requestId: string): ErrorBody {
  return {
    error: {
      code: e.code,
      message: e.message,
      ...(e.field !== undefined ? { field: e.field } : {}),
      ...(e.details !== undefined ? { details: e.details } : {}),
      requestId,
    },
  };
}

export function sendError(
  res: ServerResponse,
  e: StoreError,
  requestId: string,
  status = typeof e.details?.["status"] === "number" ? e.details["status"] : STATUS_OF_CODE[e.code],
): void {
  const headers: Record<string, string> = { [HEADER.requestId]: requestId };
  const retryAfterMs = e.details?.["retryAfterMs"];
  if (typeof retryAfterMs === "number")
    headers[HEADER.retryAfter] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  // The rest of an oversized body is not read: the connection cannot be reused, so say so.
  if (e.code === "PAYLOAD_TOO_LARGE") headers["connection"] = "close";
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, errorBody(e, requestId), headers);
}
