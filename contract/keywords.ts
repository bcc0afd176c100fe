/**
 * SmsWebhook keywords: the defaults filled in, and the rule that a keyword (case-insensitive) belongs
 * to one category only. The provider resolves them before writing the record; the store's receiver
 * matches against the resolved set. Imports nothing but the defaults (the pack carries a copy).
 */
import { DEFAULT_KEYWORDS } from "./defaults";

export interface KeywordCategory {
  keywords: string[];
  reply: string;
}

/** What the user writes (the zod schema in contract/schema/keywords.ts parses into this). */
export interface KeywordsInput {
  optIn?: KeywordCategory | undefined;
  optOut?: (KeywordCategory & { fuzzy?: boolean | undefined; fuzzyReply?: string | undefined }) | undefined;
  doubleOptIn?: KeywordCategory | undefined;
  help?: KeywordCategory | undefined;
  custom?: { keyword: string; reply: string }[] | undefined;
}

export interface ResolvedKeywords {
  readonly optIn: KeywordCategory;
  readonly optOut: KeywordCategory & { fuzzy?: boolean | undefined; fuzzyReply?: string | undefined };
  readonly doubleOptIn?: KeywordCategory;
  readonly help: KeywordCategory;
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

export interface KeywordConflict {
  path: (string | number)[];
  message: string;
}

/**
 * Keywords are case-insensitive and each may belong to one category only, defaults included: a
 * "STOP" in `custom` would never be reached, since opt-out wins.
 */
export function keywordConflicts(k: KeywordsInput | undefined): KeywordConflict[] {
  const r = resolveKeywords(k);
  const owner = new Map<string, string>();
  const problems: KeywordConflict[] = [];
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
