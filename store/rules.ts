import { SANDBOX } from "../contract/formats";
import { StoreError } from "./errors";
import type { RecordRow } from "./backend";
import type { CredentialType, RecordInput, RecordKind, RecordRef } from "./types";
import { CREDENTIAL_TYPES, RECORD_KINDS } from "./types";

/*
 * The record-data and name schemas need zod (~100 modules): required on the first write, so that a
 * process that only reads or deletes records (a destroy, a refresh) never loads it (issue 13).
 */
const recordSchemas = () =>
  require("../contract/schema/records") as typeof import("../contract/schema/records");

/** The contract's sandbox format (contract/formats.ts). */
export const SANDBOX_PATTERN = SANDBOX;

/** The input field that a reference of this kind comes from, for error messages. */
export function refField(kind: RecordKind): string {
  switch (kind) {
    case "api-credential":
      return "apiCredential";
    case "webhook":
      return "webhooks";
    case "channel-configuration":
      return "channelConfiguration";
  }
}

export function describe(row: Pick<RecordRow, "kind" | "name" | "id">): string {
  return `${row.kind} "${row.name}" (id ${row.id})`;
}

export function checkSandbox(sandbox: unknown): asserts sandbox is string {
  if (typeof sandbox !== "string" || !SANDBOX_PATTERN.test(sandbox)) {
    throw new StoreError(
      "INVALID_INPUT",
      `sandbox: must match ${SANDBOX_PATTERN} (lowercase letters, digits and hyphens, at most 63), got ${JSON.stringify(sandbox)}`,
      "sandbox",
    );
  }
}

export function checkKind(kind: unknown): asserts kind is RecordKind {
  if (!(RECORD_KINDS as readonly unknown[]).includes(kind)) {
    throw new StoreError("INVALID_INPUT", `kind: must be one of ${RECORD_KINDS.join(", ")}`, "kind");
  }
}

/** Shape checks that do not need other records. */
export function checkInput(input: RecordInput): void {
  checkSandbox(input.sandbox);
  checkKind(input.kind);
  checkName(input.kind, input.name);
  if (input.kind === "api-credential") {
    if (!(CREDENTIAL_TYPES as readonly unknown[]).includes(input.credentialType)) {
      throw new StoreError(
        "INVALID_INPUT",
        `credentialType: an api-credential needs one of ${CREDENTIAL_TYPES.join(", ")}`,
        "credentialType",
      );
    }
  } else if (input.credentialType !== undefined) {
    throw new StoreError("INVALID_INPUT", `credentialType: only an api-credential has one`, "credentialType");
  }
  if (typeof input.data !== "object" || input.data === null || Array.isArray(input.data)) {
    throw new StoreError("INVALID_INPUT", "data: must be a JSON object", "data");
  }
  checkData(input.kind, input.credentialType, input.data);
  checkRefShapes(input.kind, input.refs ?? []);
}

/** A record's name by the contract: 1-200 characters; a channel configuration's a CHANNEL_NAME too. */
export function checkName(kind: RecordKind, name: unknown): void {
  const problem = recordSchemas().recordNameProblem(kind, name);
  if (problem !== undefined) throw new StoreError("INVALID_INPUT", `name: ${problem}`, "name");
}

/**
 * A record's data against the contract's record-data schemas (contract/schema/records.ts), the same
 * the provider's inputs are built from: no caller of the store (the service's HTTP API, a script)
 * can write what the provider would refuse. Every problem is told; the first names the field.
 */
export function checkData(kind: RecordKind, credentialType: CredentialType | undefined, data: unknown): void {
  const problems = recordSchemas().recordDataProblems(kind, credentialType, data);
  const first = problems[0];
  if (first === undefined) return;
  throw new StoreError(
    "INVALID_INPUT",
    problems.map((p) => `${p.property}: ${p.reason}`).join("; "),
    first.property,
    { problems },
  );
}

const ALLOWED_REFS: Record<RecordKind, readonly RecordKind[]> = {
  "api-credential": [],
  webhook: ["api-credential"],
  "channel-configuration": ["api-credential", "webhook"],
};

export function checkRefShapes(kind: RecordKind, refs: readonly RecordRef[]): void {
  const seen = new Set<string>();
  for (const ref of refs) {
    if (seen.has(ref.id)) {
      throw new StoreError(
        "INVALID_INPUT",
        `${refField(ref.kind)}: ${ref.kind} ${ref.id} is listed twice`,
        refField(ref.kind),
      );
    }
    seen.add(ref.id);
    if (!ALLOWED_REFS[kind].includes(ref.kind) || typeof ref.id !== "string" || ref.id.length === 0) {
      throw new StoreError("INVALID_INPUT", `refs: a ${kind} cannot refer to a ${ref.kind}`, "refs");
    }
  }
  if (kind !== "api-credential") {
    const creds = refs.filter((r) => r.kind === "api-credential").length;
    if (creds !== 1) {
      throw new StoreError(
        "INVALID_INPUT",
        `apiCredential: a ${kind} refers to exactly one API credential`,
        "apiCredential",
      );
    }
  }
}

/**
 * The contract's rules between records, checked inside the writing transaction with the referenced
 * records as they are now:
 * - everything that refers to each other lives in one sandbox;
 * - an `rcs` channel configuration takes a `custom-rcs` credential only.
 */
export function checkReferences(row: RecordRow, referenced: readonly RecordRow[]): void {
  for (const ref of referenced) {
    if (ref.sandbox !== row.sandbox) {
      throw new StoreError(
        "RULE_VIOLATION",
        `${refField(ref.kind)}: ${describe(ref)} lives in sandbox "${ref.sandbox}", but ${row.kind} "${row.name}" is in sandbox "${row.sandbox}"; records that refer to each other must share one sandbox`,
        refField(ref.kind),
      );
    }
  }
  if (row.kind === "channel-configuration" && row.data["channel"] === "rcs") {
    const credential = referenced.find((r) => r.kind === "api-credential");
    if (credential && credential.credentialType !== "custom-rcs") {
      throw new StoreError(
        "RULE_VIOLATION",
        `apiCredential: channel configuration "${row.name}" is an rcs channel, but ${describe(credential)} is a ${credential.credentialType} credential. RCS needs another payload format than SMS: bind the channel to a CustomRcsCredential (custom-rcs) instead`,
        "apiCredential",
        { credentialId: credential.id, credentialType: credential.credentialType },
      );
    }
  }
}
