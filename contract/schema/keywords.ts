import { z } from "zod";
import { KEYWORD } from "../formats";

/** A keyword a subscriber texts: one word of letters or digits. */
export const keyword = z
  .string({ error: "must be a string" })
  .regex(KEYWORD, "must be one word of letters or digits (at most 30 characters)");

export const reply = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(1600, "must be at most 1600 characters");

const category = z
  .object({ keywords: z.array(keyword).min(1, "must list at least one keyword"), reply })
  .strict();

export const keywordsSchema = z
  .object({
    optIn: category.optional(),
    optOut: category
      .extend({
        /** Also match near misses ("stpo", "unsubscrbe"), answered with `fuzzyReply`. */
        fuzzy: z.boolean({ error: "must be true or false" }).optional(),
        fuzzyReply: reply.optional(),
      })
      .strict()
      .optional(),
    doubleOptIn: category.optional(),
    help: category.optional(),
    custom: z.array(z.object({ keyword, reply }).strict()).optional(),
  })
  .strict();

/** The keywords a webhook record holds once the defaults are filled in (`resolvedKeywords`). */
export const resolvedKeywordsSchema = keywordsSchema.required({
  optIn: true,
  optOut: true,
  help: true,
  custom: true,
});
