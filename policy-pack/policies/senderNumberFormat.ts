import type { ResourceValidationPolicy } from "@pulumi/policy";
import { E164, TYPES, senderKind, shortType, suggestSender } from "./formats";
import { UNKNOWN, findings, quote, read } from "./values";

export const SENDER_NUMBER_FORMAT = "sender-number-format";

const FORMATS =
  "an E.164 number (+ and country code, up to 15 digits, e.g. +14155550100), a short code (5 or 6 digits) " +
  "or an alphanumeric sender ID (1-11 letters, digits or spaces, at least one letter)";

/** The sender fields checked, by resource type: `[property, what it must be]`. */
const FIELDS: Record<string, readonly (readonly [string, "sender" | "e164"])[]> = {
  [TYPES.ChannelConfiguration]: [["senderNumber", "sender"]],
  [TYPES.SmsWebhook]: [["senderNumber", "sender"]],
  [TYPES.SmsApiCredential]: [["inboundNumber", "e164"]],
};

/**
 * Sender numbers must have a format Twilio accepts: `senderNumber` of channel configurations and webhooks,
 * `inboundNumber` of Twilio credentials. MMS cannot be sent from an alphanumeric sender ID.
 */
export const senderNumberFormat: ResourceValidationPolicy = {
  name: SENDER_NUMBER_FORMAT,
  description: "Sender numbers must be E.164 numbers, short codes or alphanumeric sender IDs.",
  enforcementLevel: "mandatory",
  severity: "medium",
  remediationSteps: `Write the sender as ${FORMATS}.`,

  validateResource: (args, reportViolation) => {
    const fields = FIELDS[args.type];
    if (!fields) return;
    const report = findings(reportViolation);
    const name = read(args.props, "name");
    const label = `${shortType(args.type)} ${quote(typeof name === "string" ? name : args.name)}`;
    for (const [property, format] of fields) {
      const value = read(args.props, property);
      if (value === UNKNOWN || value === undefined) continue;
      if (typeof value !== "string") {
        report.violation(`${label}: ${property} must be a string, not ${typeof value}.`);
        continue;
      }
      const suggestion = suggestSender(value);
      const hint = suggestion !== undefined ? ` Did you mean ${quote(suggestion)}?` : "";
      if (format === "e164") {
        if (!E164.test(value)) {
          report.violation(
            `${label}: ${property} ${quote(value)} is not an E.164 phone number (+ and country code, up to ` +
              `15 digits, e.g. +14155550100).${hint}`,
          );
        }
        continue;
      }
      const kind = senderKind(value);
      if (kind === undefined) {
        report.violation(`${label}: ${property} ${quote(value)} is not ${FORMATS}.${hint}`);
      } else if (kind === "alphanumeric" && read(args.props, "channel") === "mms") {
        report.violation(
          `${label}: channel "mms" cannot send from the alphanumeric sender ID ${quote(value)}: MMS needs a ` +
            `phone number or short code as ${property}, or use channel "sms".`,
        );
      }
    }
  },
};
