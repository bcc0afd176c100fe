import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CHANNEL_NAME, RESERVED_SUBDOMAINS, SUBDOMAIN, TYPES, suggestChannelName } from "./formats";
import { UNKNOWN, findings, quote, read } from "./values";

export const CHANNEL_NAME_FORMAT = "channel-name-format";

/**
 * A channel configuration's `name` starts with a letter and holds only letters, digits, `_`, `.` and `-`; its
 * `subdomain`, when set, is one DNS label of lowercase letters, digits and hyphens, and not a reserved one.
 */
export const channelNameFormat: ResourceValidationPolicy = {
  name: CHANNEL_NAME_FORMAT,
  description:
    "Channel configuration names must start with a letter and hold only letters, digits, '_', '.' and '-'.",
  enforcementLevel: "mandatory",
  severity: "low",
  remediationSteps:
    "Rename the channel configuration (its name defaults to the Pulumi resource name), e.g. " +
    '"marketing sms" to "marketing-sms"; keep subdomain to lowercase letters, digits and inner hyphens.',

  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.ChannelConfiguration) return;
    const report = findings(reportViolation);
    const given = read(args.props, "name");
    // The resource class defaults the name to the Pulumi resource name.
    const name = given === undefined ? args.name : given;
    if (name !== UNKNOWN) {
      if (typeof name !== "string") {
        report.violation(
          `ChannelConfiguration ${quote(args.name)}: name must be a string, not ${typeof name}.`,
        );
      } else if (!CHANNEL_NAME.test(name)) {
        const suggestion = suggestChannelName(name);
        report.violation(
          `ChannelConfiguration name ${quote(name)} must start with a letter and hold only letters, digits, ` +
            `'_', '.' and '-' (${CHANNEL_NAME.source}).` +
            (suggestion !== undefined ? ` Did you mean ${quote(suggestion)}?` : ""),
        );
      }
    }

    const subdomain = read(args.props, "subdomain");
    if (subdomain === UNKNOWN || subdomain === undefined) return;
    const label = `ChannelConfiguration ${quote(typeof name === "string" ? name : args.name)}`;
    if (typeof subdomain !== "string") {
      report.violation(`${label}: subdomain must be a string, not ${typeof subdomain}.`);
    } else if (RESERVED_SUBDOMAINS.includes(subdomain.toLowerCase())) {
      report.violation(
        `${label}: subdomain ${quote(subdomain)} is reserved (${RESERVED_SUBDOMAINS.map((s) => quote(s)).join(", ")}); choose another.`,
      );
    } else if (!SUBDOMAIN.test(subdomain)) {
      const lower = subdomain.toLowerCase();
      report.violation(
        `${label}: subdomain ${quote(subdomain)} must be one DNS label of lowercase letters, digits and ` +
          `hyphens, 1-63 characters, not starting or ending with a hyphen.` +
          (SUBDOMAIN.test(lower) ? ` Did you mean ${quote(lower)}?` : ""),
      );
    }
  },
};
