import type { CheckFailure, Parsed } from "../../provider/schema/check";

/** Failures grouped by property, for tests that expect several at once. */
export function byProperty(failures: readonly CheckFailure[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of failures) (out[f.property] ??= []).push(f.reason);
  return out;
}

/** The expectations every schema test makes, bound to one resource's `parse`. */
export function schemaExpectations<T>(parse: (raw: Record<string, unknown>) => Parsed<T>) {
  return {
    /** Exactly one failure, at `property`, with this reason (or one matching it). */
    expectOnlyFailureAt(raw: Record<string, unknown>, property: string, reason: RegExp | string): void {
      const r = parse(raw);
      expect(r.value).toBeUndefined();
      expect(r.failures).toHaveLength(1);
      expect(r.failures[0]!.property).toBe(property);
      if (typeof reason === "string") expect(r.failures[0]!.reason).toBe(reason);
      else expect(r.failures[0]!.reason).toMatch(reason);
    },
    /** No failure; returns the parsed value. */
    expectValid(raw: Record<string, unknown>): T {
      const r = parse(raw);
      expect(r.failures).toEqual([]);
      expect(r.value).toBeDefined();
      return r.value!;
    },
  };
}
