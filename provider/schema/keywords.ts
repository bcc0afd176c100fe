/**
 * SmsWebhook keywords: the schema, defaults, resolution and uniqueness rule are the contract's
 * (contract/keywords.ts, contract/schema/keywords.ts); re-exported for the provider's imports.
 */
import type { z } from "zod";
import type { KeywordsInput as ContractKeywordsInput } from "../../contract/keywords";
import { keywordsSchema } from "../../contract/schema/keywords";

export { DEFAULT_KEYWORDS } from "../../contract/defaults";
export { keywordConflicts, resolveKeywords } from "../../contract/keywords";
export type { ResolvedKeywords } from "../../contract/keywords";
export { keywordsSchema };
export type KeywordsInput = z.infer<typeof keywordsSchema>;

// The zod schema parses into the contract's plain type (a compile error here means they drifted).
type Assignable<A extends B, B> = A;
export type _KeywordsMatch = Assignable<KeywordsInput, ContractKeywordsInput>;
