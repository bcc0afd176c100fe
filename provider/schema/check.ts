import type { z } from "zod";
import { UNKNOWN_STRING } from "../../contract/unknown";

/** A problem with one input, as Pulumi shows it: `property: reason`. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** How the engine marks a value that is not known yet (preview of an input taken from another output). */
export const UNKNOWN = UNKNOWN_STRING;

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v !== null && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** True when the value at `path`, or any container above it, is still unknown. */
function underUnknown(root: unknown, path: readonly PropertyKey[]): boolean {
  for (let i = 0; i <= path.length; i++) {
    const v = valueAt(root, path.slice(0, i));
    if (isUnknown(v)) return true;
  }
  return false;
}

/** The object shape under refinements (`.superRefine` wraps the object schema in zod 4 checks, not a new type). */
function innerShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = (
    schema as unknown as { def?: { shape?: Record<string, z.ZodType>; in?: z.ZodType; schema?: z.ZodType } }
  ).def;
  if (def?.shape) return def.shape;
  const inner = def?.in ?? def?.schema;
  return inner ? innerShape(inner) : undefined;
}

export interface Parsed<T> {
  /** The parsed inputs with defaults applied; unknown values are left in place. */
  readonly value: T | undefined;
  readonly failures: CheckFailure[];
  readonly hasUnknowns: boolean;
}

/**
 * Runs a resource's zod schema over its raw inputs and turns every issue into a failure that names
 * the field. Issues about values that are still unknown are dropped: preview must not report them.
 */
export function parseInputs<S extends z.ZodType>(
  schema: S,
  raw: Record<string, unknown>,
  crossFieldUnknownGuard: readonly string[] = [],
): Parsed<z.infer<S>> {
  const { __provider: _provider, ...inputs } = raw;
  const hasUnknowns = containsUnknown(inputs);
  const result = schema.safeParse(inputs);
  if (result.success) return { value: result.data, failures: [], hasUnknowns };
  // Rules spanning several fields cannot be decided while any of those fields is unknown. A custom
  // issue is such a rule unless its own field fails by itself (a single-field refine: sender format).
  const guardUnknown = crossFieldUnknownGuard.some((f) => isUnknown(inputs[f]));
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? innerShape(schema);
  const failsAlone = (path: readonly PropertyKey[]): boolean => {
    const key = path[0];
    const field = typeof key === "string" ? shape?.[key] : undefined;
    return field !== undefined && !field.safeParse(inputs[key as string]).success;
  };
  const failures: CheckFailure[] = [];
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    if (underUnknown(inputs, issue.path)) continue;
    if (issue.code === "custom" && guardUnknown && !failsAlone(issue.path)) continue;
    const property = formatPath(issue.path) || "(inputs)";
    const reason =
      issue.code === "unrecognized_keys"
        ? `unknown input(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : issue.message;
    const key = `${property}\0${reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    failures.push({ property, reason });
  }
  if (failures.length > 0) return { value: undefined, failures, hasUnknowns };
  // Only unknown values failed: give back the inputs with the schema's top-level defaults applied.
  const withDefaults: Record<string, unknown> = { ...inputs };
  for (const [key, field] of Object.entries(shape ?? {})) {
    if (withDefaults[key] === undefined) {
      const d = field.safeParse(undefined);
      if (d.success && d.data !== undefined) withDefaults[key] = d.data;
    }
  }
  return { value: withDefaults as z.infer<S>, failures, hasUnknowns };
}
