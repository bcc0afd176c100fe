/**
 * The `sms-channels-policies` policy pack. This file only starts the pack: the policies live in `./policies`,
 * which tests import without ever constructing a `PolicyPack` (constructing one starts the policy server).
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
  description:
    "Checks pulumi-sms-channels programs before merge: RCS channels on custom RCS credentials, sender and " +
    "channel name formats, https vendor URLs, one sandbox per set of references, opt-out for marketing.",
  displayName: "SMS channels",
  tags: ["sms", "mms", "rcs", "twilio"],
  policies,
});
