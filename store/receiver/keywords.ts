/**
 * What an inbound text means under a webhook's keywords (the record's `resolvedKeywords`, written by
 * the provider with the contract's defaults filled in): which category it hits, what it does to the
 * sender's consent, and the reply. Pure: the ledger applies the consent change.
 */

export interface KeywordCategory {
  readonly keywords: readonly string[];
  readonly reply: string;
}

export interface WebhookKeywords {
  readonly optIn?: KeywordCategory;
  readonly optOut?: KeywordCategory & { readonly fuzzy?: boolean; readonly fuzzyReply?: string };
  readonly doubleOptIn?: KeywordCategory;
  readonly help?: KeywordCategory;
  readonly custom?: readonly { readonly keyword: string; readonly reply: string }[];
}

export type InboundCategory = "optOut" | "optIn" | "doubleOptIn" | "help" | "custom" | "fuzzyOptOut" | "none";

/**
 * What a delivery does to the consent of (sandbox, number, sender):
 * - `opted-out` / `opted-in`: set it;
 * - `request`: an opt-in under double opt-in: `pending`, unless already `opted-in`;
 * - `confirm`: a double opt-in keyword: `pending` becomes `opted-in`; anything else stays.
 */
export type ConsentChange = "opted-out" | "opted-in" | "request" | "confirm";

export const CONSENT_STATUSES = ["opted-in", "opted-out", "pending"] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

export interface InboundDecision {
  readonly category: InboundCategory;
  /** The keyword as the webhook declares it (for the ledger), when one matched. */
  readonly keyword?: string;
  readonly consent?: ConsentChange;
  readonly reply?: string;
}

const fold = (s: string): string => s.toLocaleLowerCase("en-US");

/** Reads `resolvedKeywords` from record data, keeping only well-formed parts (data is not trusted blindly). */
export function keywordsOf(value: unknown): WebhookKeywords {
  if (typeof value !== "object" || value === null) return {};
  const v = value as Record<string, unknown>;
  const category = (c: unknown): KeywordCategory | undefined => {
    if (typeof c !== "object" || c === null) return undefined;
    const { keywords, reply } = c as Record<string, unknown>;
    if (!Array.isArray(keywords) || typeof reply !== "string") return undefined;
    return { keywords: keywords.filter((k): k is string => typeof k === "string"), reply };
  };
  const optOut = category(v["optOut"]);
  const raw = (v["optOut"] ?? {}) as Record<string, unknown>;
  const custom = Array.isArray(v["custom"])
    ? (v["custom"] as unknown[]).flatMap((c) => {
        const { keyword, reply } = (c ?? {}) as Record<string, unknown>;
        return typeof keyword === "string" && typeof reply === "string" ? [{ keyword, reply }] : [];
      })
    : [];
  const out: {
    -readonly [K in keyof WebhookKeywords]: WebhookKeywords[K];
  } = { custom };
  const optIn = category(v["optIn"]);
  const doubleOptIn = category(v["doubleOptIn"]);
  const help = category(v["help"]);
  if (optIn) out.optIn = optIn;
  if (doubleOptIn) out.doubleOptIn = doubleOptIn;
  if (help) out.help = help;
  if (optOut) {
    out.optOut = {
      ...optOut,
      ...(raw["fuzzy"] === true ? { fuzzy: true } : {}),
      ...(typeof raw["fuzzyReply"] === "string" ? { fuzzyReply: raw["fuzzyReply"] } : {}),
    };
  }
  return out;
}

function find(category: KeywordCategory | undefined, text: string): string | undefined {
  return category?.keywords.find((k) => fold(k) === text);
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps: "stpo" is one from "stop"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      let best = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * A near miss of an opt-out keyword: the keyword with punctuation around it ("STOP!"), as the first or
 * last word of a short text ("stop please", "please stop"), or misspelt by one edit (two for long
 * keywords: "unsubscrbe"). Keywords under four letters ("no", "end") only count as whole words,
 * since one edit from them is too many ordinary words.
 */
function nearOptOut(text: string, keywords: readonly string[]): string | undefined {
  const words = text
    .split(/[^\p{L}\p{N}]+/u)
    .map((w) => w.trim())
    .filter((w) => w.length > 0);
  if (words.length === 0 || words.length > 4) return undefined;
  const edges = new Set([words[0] as string, words[words.length - 1] as string]);
  const compact = words.join("");
  for (const k of keywords) {
    const key = fold(k);
    if (edges.has(key)) return k;
    if (key.length >= 4 && editDistance(compact, key) <= (key.length >= 8 ? 2 : 1)) return k;
  }
  return undefined;
}

/** The webhook's answer to an inbound text; `defaultReply` when nothing else has a reply. */
export function decideInbound(
  body: string,
  keywords: WebhookKeywords,
  defaultReply: string | undefined,
): InboundDecision {
  const text = fold(body.trim());
  const withReply = (d: Omit<InboundDecision, "reply">, reply: string | undefined): InboundDecision => {
    const r = reply ?? defaultReply;
    return r === undefined || r === "" ? d : { ...d, reply: r };
  };
  let k: string | undefined;
  if ((k = find(keywords.optOut, text)) !== undefined)
    return withReply({ category: "optOut", keyword: k, consent: "opted-out" }, keywords.optOut?.reply);
  if ((k = find(keywords.optIn, text)) !== undefined) {
    const consent: ConsentChange = keywords.doubleOptIn ? "request" : "opted-in";
    return withReply({ category: "optIn", keyword: k, consent }, keywords.optIn?.reply);
  }
  if ((k = find(keywords.doubleOptIn, text)) !== undefined)
    return withReply(
      { category: "doubleOptIn", keyword: k, consent: "confirm" },
      keywords.doubleOptIn?.reply,
    );
  if ((k = find(keywords.help, text)) !== undefined)
    return withReply({ category: "help", keyword: k }, keywords.help?.reply);
  const custom = keywords.custom?.find((c) => fold(c.keyword) === text);
  if (custom) return withReply({ category: "custom", keyword: custom.keyword }, custom.reply);
  if (keywords.optOut?.fuzzy && (k = nearOptOut(text, keywords.optOut.keywords)) !== undefined)
    return withReply({ category: "fuzzyOptOut", keyword: k }, keywords.optOut.fuzzyReply);
  return withReply({ category: "none" }, undefined);
}

/**
 * Twilio's Advanced Opt-Out already answered this keyword (`OptOutType`: STOP, START or HELP): the
 * consent is recorded, and no second reply goes out.
 */
export function decideTwilioOptOutType(optOutType: string, body: string): InboundDecision {
  const keyword = body.trim() || optOutType;
  switch (optOutType.toUpperCase()) {
    case "STOP":
      return { category: "optOut", keyword, consent: "opted-out" };
    case "START":
      return { category: "optIn", keyword, consent: "opted-in" };
    case "HELP":
      return { category: "help", keyword };
    default:
      return { category: "none" };
  }
}

/** The consent after `change`, given the current one; undefined when nothing changes or is written. */
export function nextConsent(
  current: ConsentStatus | undefined,
  change: ConsentChange,
): ConsentStatus | undefined {
  switch (change) {
    case "opted-out":
    case "opted-in":
      return change;
    case "request":
      return current === "opted-in" ? "opted-in" : "pending";
    case "confirm":
      return current === "pending" ? "opted-in" : undefined;
    default: {
      const never: never = change;
      return never;
    }
  }
}
