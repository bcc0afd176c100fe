import { z } from "zod";
import { StoreError } from "../errors";
import { CREDENTIAL_TYPES, RECORD_KINDS, type RecordPatch, type RecordRef } from "../types";

/**
 * The shapes of request bodies. Only the shape is checked here; CoreStore checks the meaning (names,
 * references, the contract's rules) for every caller alike.
 */
const jsonObject = z.record(z.string(), z.unknown());
const refs = z
  .array(z.object({ kind: z.enum(RECORD_KINDS), id: z.string().min(1).max(200) }).strict())
  .max(100);

const createBody = z
  .object({
    name: z.string(),
    credentialType: z.enum(CREDENTIAL_TYPES).optional(),
    data: jsonObject,
    refs: refs.optional(),
    secret: jsonObject.optional(),
    ownerUrn: z.string().max(1024).optional(),
    ownerInstance: z.string().max(200).optional(),
  })
  .strict();

const patchBody = z
  .object({
    // A rename (the resource's `name` input); CoreStore checks it is still unique.
    name: z.string().optional(),
    data: jsonObject.optional(),
    refs: refs.optional(),
    secret: jsonObject.optional(),
    ownerUrn: z.string().max(1024).optional(),
    ownerInstance: z.string().max(200).optional(),
  })
  .strict();

const fingerprintBody = z.object({ kind: z.enum(RECORD_KINDS), secret: jsonObject }).strict();

/** What a create body gives, before the path adds sandbox and kind. */
export interface CreateBody {
  readonly name: string;
  readonly credentialType?: (typeof CREDENTIAL_TYPES)[number];
  readonly data: Record<string, unknown>;
  readonly refs?: readonly RecordRef[];
  readonly secret?: Record<string, unknown>;
  readonly ownerUrn?: string;
  readonly ownerInstance?: string;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join(".") || "body";
  // Zod's messages name types and keys, never values, so a secret in the body is not echoed. A
  // missing field reads "expected string, received undefined": said plainly instead.
  const wrong = /^Invalid input: expected (\w+), received (\w+)$/.exec(issue?.message ?? "");
  // zod's "record" is a JSON object here, where "record" means a stored record.
  const expected = wrong?.[1] === "record" ? "JSON object" : wrong?.[1];
  const reason = !wrong
    ? (issue?.message ?? "invalid")
    : wrong[2] === "undefined"
      ? `is required (a ${expected})`
      : `must be a ${expected}, not ${wrong[2]}`;
  throw new StoreError("INVALID_INPUT", `${field}: ${reason}`, field);
}

/** Drops keys whose value is undefined: the store's types say "absent", not "undefined". */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

export function parseCreateBody(value: unknown): CreateBody {
  return defined(parse(createBody, value));
}

export function parsePatchBody(value: unknown): RecordPatch {
  return defined(parse(patchBody, value));
}

export function parseFingerprintBody(value: unknown): {
  kind: (typeof RECORD_KINDS)[number];
  secret: Record<string, unknown>;
} {
  return parse(fingerprintBody, value);
}
