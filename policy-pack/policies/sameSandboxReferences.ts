import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./formats";
import {
  CREDENTIAL_TYPES,
  describe,
  indexStack,
  referencedBy,
  referencedByList,
  sandboxOf,
  type StackIndex,
} from "./stack";
import { UNKNOWN, findings, quote } from "./values";

export const SAME_SANDBOX_REFERENCES = "same-sandbox-references";

/** What each kind of resource refers to. */
function referencesOf(resource: PolicyResource, index: StackIndex): PolicyResource[] {
  if (resource.type === TYPES.ChannelConfiguration) {
    return [
      ...referencedBy(resource, "apiCredentialId", CREDENTIAL_TYPES, index, ["apiCredentialType"]).resources,
      ...referencedByList(resource, "webhookIds", [TYPES.SmsWebhook], index).resources,
    ];
  }
  if (resource.type === TYPES.SmsWebhook) {
    return referencedBy(resource, "apiCredentialId", CREDENTIAL_TYPES, index, ["apiCredentialType"])
      .resources;
  }
  return [];
}

/**
 * A channel configuration, its credential and its webhooks, and a webhook and its credential, live in one
 * sandbox: the store refuses references across sandboxes, so this catches the mistake before merge. Sandboxes
 * that are unknown in preview are skipped; ids of records outside the stack are left to the store.
 */
export const sameSandboxReferences: StackValidationPolicy = {
  name: SAME_SANDBOX_REFERENCES,
  description: "A channel configuration, its credential and its webhooks must live in the same sandbox.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    'Give the referring resource and the resources it refers to the same sandbox (default "prod"), or refer ' +
    "to a credential or webhook of the referring resource's sandbox.",

  validateStack: (args, reportViolation) => {
    const report = findings(reportViolation);
    const index = indexStack(args.resources);
    for (const resource of args.resources) {
      const refs = referencesOf(resource, index);
      if (refs.length === 0) continue;
      const sandbox = sandboxOf(resource);
      if (sandbox === UNKNOWN || sandbox === undefined) continue;
      for (const ref of refs) {
        const other = sandboxOf(ref);
        if (other === UNKNOWN || other === undefined || other === sandbox) continue;
        report.violation(
          `${describe(resource)} is in sandbox ${quote(sandbox)} but refers to ${describe(ref)} in sandbox ` +
            `${quote(other)}; the store refuses references across sandboxes. Set sandbox ${quote(sandbox)} on ` +
            `${describe(ref)}, or refer to one of sandbox ${quote(sandbox)}.`,
          resource.urn,
        );
      }
    }
  },
};
