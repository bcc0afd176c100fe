import { z } from "zod";

/** A keyword a subscriber texts: one word of letters or digits. */
const keyword = z
  .string({ error: "must be a string" })
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N}_-]{0,29}$/u,
    "must be one word of letters or digits (at most 30 characters)",
  );
const reply = z
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
export type KeywordsInput = z.infer<typeof keywordsSchema>;

/** The contract's defaults for categories left out. */
export const DEFAULT_KEYWORDS = {
  optIn: {
    keywords: ["Subscribe", "Yes", "Unstop", "Continue", "Resume", "Begin", "Start"],
    reply: "You are subscribed again. Reply STOP to unsubscribe, HELP for help.",
  },
  optOut: {
    keywords: ["Stop", "Quit", "Cancel", "End", "Unsubscribe", "No"],
    reply: "You are unsubscribed and will get no more messages. Reply START to subscribe again.",
  },
  help: {
    keywords: ["Help", "Info", "Information"],
    reply: "Reply STOP to unsubscribe, START to subscribe again.",
  },
} as const;

export interface ResolvedKeywords {
  readonly optIn: { keywords: string[]; reply: string };
  readonly optOut: {
    keywords: string[];
    reply: string;
    fuzzy?: boolean | undefined;
    fuzzyReply?: string | undefined;
  };
  readonly doubleOptIn?: { keywords: string[]; reply: string };
  readonly help: { keywords: string[]; reply: string };
  readonly custom: { keyword: string; reply: string }[];
}

export function resolveKeywords(k: KeywordsInput | undefined): ResolvedKeywords {
  return {
    optIn: k?.optIn ?? {
      keywords: [...DEFAULT_KEYWORDS.optIn.keywords],
      reply: DEFAULT_KEYWORDS.optIn.reply,
    },
    optOut: k?.optOut ?? {
      keywords: [...DEFAULT_KEYWORDS.optOut.keywords],
      reply: DEFAULT_KEYWORDS.optOut.reply,
    },
    ...(k?.doubleOptIn ? { doubleOptIn: k.doubleOptIn } : {}),
    help: k?.help ?? { keywords: [...DEFAULT_KEYWORDS.help.keywords], reply: DEFAULT_KEYWORDS.help.reply },
    custom: k?.custom ?? [],
  };
}

/**
 * Keywords are case-insensitive and each may belong to one category only, defaults included: a
 * "STOP" in `custom` would never be reached, since opt-out wins.
 */
export function keywordConflicts(
  k: KeywordsInput | undefined,
): { path: (string | number)[]; message: string }[] {
  const r = resolveKeywords(k);
  const owner = new Map<string, string>();
  const problems: { path: (string | number)[]; message: string }[] = [];
  const visit = (word: string, where: string, path: (string | number)[]) => {
    const key = word.toLocaleLowerCase("en-US");
    const first = owner.get(key);
    if (first !== undefined) {
      problems.push({
        path,
        message: `"${word}" is already a keyword of ${first}; keywords are case-insensitive and unique across categories`,
      });
    } else {
      owner.set(key, where);
    }
  };
  // The defaults first, what the user wrote after: a clash is then reported on the user's own
  // keyword, naming the (default) category it collides with.
  const categories = ["optIn", "optOut", "doubleOptIn", "help"] as const;
  const given = (c: (typeof categories)[number]) => k?.[c] !== undefined;
  for (const c of categories.filter((x) => !given(x))) {
    r[c]?.keywords.forEach((w, i) => visit(w, `${c} (default)`, ["keywords", c, "keywords", i]));
  }
  for (const c of categories.filter(given))
    r[c]?.keywords.forEach((w, i) => visit(w, c, ["keywords", c, "keywords", i]));
  r.custom.forEach((c, i) => visit(c.keyword, "custom", ["keywords", "custom", i, "keyword"]));
  return problems;
}
