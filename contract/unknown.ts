/**
 * How the Pulumi engine marks a value not known yet (preview of an input computed from another
 * resource). Both SDKs export these (`@pulumi/pulumi/runtime/rpc` `unknownValue`, `@pulumi/policy`'s
 * proxy); they are written out here because the store and the pack must not load the SDK for them.
 * test/unit/contract-pack.test.ts checks they still equal the SDKs' values. Imports nothing.
 */

/** The string sentinel: what a dynamic provider receives for an unknown input of any type. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The sentinels of the engine's wire format for unknown bool, number, string, array, asset, archive, object. */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  UNKNOWN_STRING,
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** True for any of the engine's unknown sentinels. */
export function isUnknownSentinel(value: unknown): boolean {
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}
