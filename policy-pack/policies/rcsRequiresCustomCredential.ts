import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { TYPES, shortType } from "./formats";
import { CREDENTIAL_TYPES, credentialTypeOf, describe, indexStack, referencedBy } from "./stack";
import { UNKNOWN, findings, quote, read } from "./values";

export const RCS_REQUIRES_CUSTOM_CREDENTIAL = "rcs-requires-custom-credential";

const FIX =
  "RCS needs another payload format than SMS, so Twilio SMS credentials are refused. Use a CustomRcsCredential " +
  "(providerUrl of your RCS vendor, e.g. Twilio's Messages API, and a payloadTemplate with {{fromNumber}}, " +
  '{{toNumber}} and {{message}}) as apiCredential, or set channel to "sms" or "mms".';

function channelLabel(props: Record<string, unknown>, resourceName: string): string {
  const name = read(props, "name");
  return `ChannelConfiguration ${quote(typeof name === "string" ? name : resourceName)}`;
}

/**
 * An RCS channel must send through a CustomRcsCredential. Checked on the channel's inputs (`apiCredentialType`,
 * set when a credential resource is passed) and, in the stack, on the resource behind `apiCredentialId`, so
 * that an id passed as a plain string cannot slip through.
 */
export const rcsRequiresCustomCredential: ResourceValidationPolicy & StackValidationPolicy = {
  name: RCS_REQUIRES_CUSTOM_CREDENTIAL,
  description: "An RCS channel configuration must use a CustomRcsCredential, not a Twilio SMS credential.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: FIX,

  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.ChannelConfiguration) return;
    // An unknown channel or credential type is decided by the stack validation, which sees more.
    if (read(args.props, "channel") !== "rcs") return;
    if (read(args.props, "apiCredentialType") !== "twilio-sms") return;
    const id = read(args.props, "apiCredentialId");
    const credential =
      typeof id === "string" && id !== ""
        ? `credential ${quote(id)}`
        : "the credential passed as apiCredential (its id is not known before it is created)";
    findings(reportViolation).violation(
      `${channelLabel(args.props, args.name)} has channel "rcs" but uses ${credential}, a Twilio SMS ` +
        `credential (apiCredentialType "twilio-sms"). ${FIX}`,
    );
  },

  validateStack: (args, reportViolation) => {
    const report = findings(reportViolation);
    const index = indexStack(args.resources);
    for (const channel of args.resources) {
      if (channel.type !== TYPES.ChannelConfiguration) continue;
      const kind = read(channel.props, "channel");
      if (kind !== "rcs" && kind !== UNKNOWN) continue;
      const declared = read(channel.props, "apiCredentialType");
      const label = channelLabel(channel.props, channel.name);
      const refs = referencedBy(channel, "apiCredentialId", CREDENTIAL_TYPES, index, ["apiCredentialType"]);

      const twilio = refs.resources.filter((r) => credentialTypeOf(r) === "twilio-sms");
      if (twilio.length > 0) {
        const names = twilio.map(describe).join(", ");
        if (kind === UNKNOWN) {
          report.undecided(
            `${label} uses the Twilio SMS credential ${names}, and its channel is not known yet: if it is ` +
              `"rcs", ${FIX}`,
            channel.urn,
          );
        } else if (declared !== "twilio-sms") {
          // When apiCredentialType says "twilio-sms", the resource validation has reported it already.
          report.violation(
            `${label} has channel "rcs" but uses the Twilio SMS credential ${names}. ${FIX}`,
            channel.urn,
          );
        }
        continue;
      }
      if (refs.resources.length > 0 || refs.unresolved === 0 || kind === UNKNOWN) continue;
      if (declared === "custom-rcs" || declared === "twilio-sms") continue;

      const id = refs.unresolvedIds[0];
      const what =
        id !== undefined
          ? `its apiCredentialId ${quote(id)} is the id of a credential outside this stack`
          : "its apiCredentialId is not known yet and comes from no credential of this stack";
      const why =
        declared === UNKNOWN ? "its apiCredentialType is not known yet" : "no apiCredentialType was given";
      report.undecided(
        `whether RCS ${label} uses a Twilio SMS credential: ${what}, and ${why}. The provider checks the ` +
          `credential's type against the store; pass the ${shortType(TYPES.CustomRcsCredential)} resource ` +
          `itself as apiCredential so that this policy can check it before merge.`,
        channel.urn,
      );
    }
  },
};
