import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_OPT_OUT_KEYWORDS, DEFAULT_REQUIRED_OPT_OUT_KEYWORDS, TYPES } from "./formats";
import { describe, indexStack, referencedByList } from "./stack";
import { UNKNOWN, findings, quote, read, readPath } from "./values";

export const MARKETING_CHANNEL_HAS_OPT_OUT = "marketing-channel-has-opt-out";

export interface MarketingChannelHasOptOutConfig {
  /** Opt-out keywords an inbound webhook of every marketing channel must answer (case-insensitive). */
  requiredOptOutKeywords?: string[];
}

/** The configured keywords; the default when the configuration is absent or malformed. */
export function requiredOptOutKeywords(config: unknown): string[] {
  const value: unknown = read(config, "requiredOptOutKeywords");
  const list = typeof value === "string" ? [value] : value;
  if (Array.isArray(list)) {
    const words = list
      .filter((k): k is string => typeof k === "string" && k.trim() !== "")
      .map((k) => k.trim());
    if (words.length > 0) return words;
  }
  return [...DEFAULT_REQUIRED_OPT_OUT_KEYWORDS];
}

type WebhookVerdict =
  | { kind: "ok" }
  | { kind: "not-inbound"; type: unknown }
  | { kind: "missing"; missing: string[] }
  | { kind: "unknown"; what: string };

/** Whether an SmsWebhook is inbound and answers every required opt-out keyword. */
export function judgeWebhook(webhook: PolicyResource, required: readonly string[]): WebhookVerdict {
  const type = read(webhook.props, "type");
  if (type === UNKNOWN) return { kind: "unknown", what: "the type" };
  if (type !== "inbound") return { kind: "not-inbound", type };

  let optOut: unknown = readPath(webhook.props, ["keywords", "optOut", "keywords"]);
  if (optOut === UNKNOWN) return { kind: "unknown", what: "the opt-out keywords" };
  if (optOut === undefined) {
    // Defaults apply when `keywords` or `keywords.optOut` is omitted, not when the list alone is missing.
    const optOutBlock = readPath(webhook.props, ["keywords", "optOut"]);
    if (optOutBlock === UNKNOWN) return { kind: "unknown", what: "the opt-out keywords" };
    optOut = optOutBlock === undefined ? DEFAULT_OPT_OUT_KEYWORDS : [];
  }
  if (!Array.isArray(optOut)) return { kind: "missing", missing: [...required] };

  const have = new Set<string>();
  let unknownKeywords = false;
  for (let i = 0; i < optOut.length; i++) {
    const k = read(optOut, i);
    if (k === UNKNOWN) unknownKeywords = true;
    else if (typeof k === "string") have.add(k.trim().toLowerCase());
  }
  const missing = required.filter((k) => !have.has(k.toLowerCase()));
  if (missing.length === 0) return { kind: "ok" };
  if (unknownKeywords) return { kind: "unknown", what: "some opt-out keywords" };
  return { kind: "missing", missing };
}

const HOW =
  'Attach an SmsWebhook with type "inbound" through webhooks, and either omit keywords.optOut (defaults: ' +
  `${DEFAULT_OPT_OUT_KEYWORDS.join(", ")}) or list the required keywords in keywords.optOut.keywords.`;

/**
 * A marketing channel must let recipients opt out: one of its webhooks must be inbound and answer the
 * required opt-out keywords (config `requiredOptOutKeywords`, default ["STOP"]).
 */
export const marketingChannelHasOptOut: StackValidationPolicy = {
  name: MARKETING_CHANNEL_HAS_OPT_OUT,
  description: "A marketing channel needs an inbound webhook that answers the opt-out keywords.",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps: HOW,
  configSchema: {
    properties: {
      requiredOptOutKeywords: {
        type: "array",
        items: { type: "string", minLength: 1 },
        minItems: 1,
        default: [...DEFAULT_REQUIRED_OPT_OUT_KEYWORDS],
        description:
          "Opt-out keywords an inbound webhook of every marketing channel must answer (case-insensitive).",
      },
    },
  },

  validateStack: (args, reportViolation) => {
    const report = findings(reportViolation);
    const required = requiredOptOutKeywords(args.getConfig<MarketingChannelHasOptOutConfig>());
    const keywords = required.map((k) => quote(k)).join(", ");
    const index = indexStack(args.resources);

    for (const channel of args.resources) {
      if (channel.type !== TYPES.ChannelConfiguration) continue;
      // An unknown message type is skipped: marketing is a choice written in the program, not computed.
      if (read(channel.props, "messageType") !== "marketing") continue;
      const label = `marketing ${describe(channel)}`;
      const refs = referencedByList(channel, "webhookIds", [TYPES.SmsWebhook], index);

      const verdicts = refs.resources.map((w) => ({ webhook: w, verdict: judgeWebhook(w, required) }));
      if (verdicts.some((v) => v.verdict.kind === "ok")) continue;

      const unknown = verdicts.filter((v) => v.verdict.kind === "unknown");
      if (unknown.length > 0 || refs.unresolved > 0) {
        const parts = unknown.map(({ webhook, verdict }) =>
          verdict.kind === "unknown"
            ? `${verdict.what} of ${describe(webhook)} (not known yet)`
            : describe(webhook),
        );
        if (refs.unresolved > 0) {
          parts.push(
            refs.unresolvedIds.length > 0
              ? `webhook ids from outside this stack (${refs.unresolvedIds.map((id) => quote(id)).join(", ")})`
              : `${refs.unresolved} webhook id(s) from outside this stack or not known yet`,
          );
        }
        report.undecided(
          `whether ${label} has an inbound webhook answering ${keywords}: this stack cannot see ` +
            `${parts.join(", ")}.`,
          channel.urn,
        );
        continue;
      }

      const problem =
        verdicts.length === 0
          ? `has no webhooks, so nothing answers the opt-out keyword(s) ${keywords}`
          : `has no inbound webhook answering ${keywords}: ` +
            verdicts
              .map(({ webhook, verdict }) =>
                verdict.kind === "missing"
                  ? `${describe(webhook)} lacks ${verdict.missing.map((k) => quote(k)).join(", ")}`
                  : `${describe(webhook)} is of type ${quote(verdict.kind === "not-inbound" ? verdict.type : "")}, not "inbound"`,
              )
              .join("; ");
      report.violation(
        `${label} ${problem}. Recipients of marketing messages must be able to opt out. ${HOW}`,
        channel.urn,
      );
    }
  },
};
