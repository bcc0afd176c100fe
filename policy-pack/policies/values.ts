/**
 * Reading resource properties the way the policy runtime hands them over, and reporting findings.
 *
 * During `pulumi preview` a property that depends on a resource not yet created is unknown. The engine sends
 * it as one of a few sentinel strings, and `@pulumi/policy` wraps the properties in a proxy that throws when
 * such a value is read. Policies here never let that escape: they read every property through `read`, which
 * turns both forms into `UNKNOWN`, and then either skip the check or say that they cannot decide.
 */
import type { EnforcementLevel, ReportViolation } from "@pulumi/policy";
import { isUnknownSentinel } from "../contract/unknown";

/** A value that is not known yet (preview). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/** The engine's sentinels for unknown values are the contract's (`../contract/unknown.ts`). */
export { UNKNOWN_SENTINELS } from "../contract/unknown";

export function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN || isUnknownSentinel(value);
}

/** The error `@pulumi/policy`'s proxy throws when an unknown value is read (its class is internal). */
function isUnknownValueError(e: unknown): boolean {
  return e instanceof Error && "unknownTypeSentinel" in e && "props" in e;
}

/**
 * `obj[key]`, with unknown values as `UNKNOWN` and null as `undefined`. Reading from something that is not an
 * object gives `undefined`, from an unknown gives `UNKNOWN`.
 */
export function read(obj: unknown, key: string | number): unknown {
  if (isUnknown(obj)) return UNKNOWN;
  if (obj === null || typeof obj !== "object") return undefined;
  let value: unknown;
  try {
    value = (obj as Record<string | number, unknown>)[key];
  } catch (e) {
    if (isUnknownValueError(e)) return UNKNOWN;
    throw e;
  }
  if (isUnknown(value)) return UNKNOWN;
  return value ?? undefined;
}

/** `read` along a path: `UNKNOWN` as soon as one step is unknown, `undefined` as soon as one is absent. */
export function readPath(obj: unknown, path: readonly (string | number)[]): unknown {
  let current: unknown = obj;
  for (const key of path) {
    current = read(current, key);
    if (current === UNKNOWN || current === undefined) return current;
  }
  return current;
}

/** The elements of an array property, each read with `read`; `UNKNOWN`/`undefined` for the whole; `null` if not an array. */
export function readArray(obj: unknown, key: string): unknown[] | Unknown | undefined | null {
  const value = read(obj, key);
  if (value === UNKNOWN || value === undefined) return value;
  if (!Array.isArray(value)) return null;
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) out.push(read(value, i));
  return out;
}

/** How a policy tells what it found. */
export interface Findings {
  /** A breach of the policy: reported at the policy's enforcement level. */
  violation(message: string, urn?: string): void;
  /**
   * The policy cannot decide (a value is unknown in preview, or out of this stack's sight): an advisory note,
   * whatever the policy's enforcement level, so that it never blocks a deployment on a guess.
   */
  undecided(message: string, urn?: string): void;
}

/** The object form of `reportViolation` that `@pulumi/policy` >= 1.20 accepts (not yet in its typings). */
interface ReportViolationObject {
  message: string;
  urn?: string;
  enforcementLevel?: EnforcementLevel;
}

/** Adapts the SDK's `reportViolation` callback to `Findings`. */
export function findings(reportViolation: ReportViolation): Findings {
  const reportObject = reportViolation as unknown as (args: ReportViolationObject) => void;
  return {
    violation: (message, urn) =>
      urn === undefined ? reportViolation(message) : reportViolation(message, urn),
    undecided: (message, urn) =>
      reportObject({
        message: `cannot decide: ${message}`,
        enforcementLevel: "advisory",
        ...(urn === undefined ? {} : { urn }),
      }),
  };
}

/** A string for messages: JSON-quoted, so that spaces and odd characters show. */
export function quote(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
