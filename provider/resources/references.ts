import * as pulumi from "@pulumi/pulumi";
import type { CredentialType } from "../../store/types";
import { InputError } from "../errors";

/** What a credential resource class says about itself, readable without instanceof across SDK copies. */
export interface CredentialClass {
  readonly credentialType: CredentialType;
}

import type { CredentialReference } from "./args";

/** How a Twilio credential signs in: with the account's auth token, or with an API key. */
export type CredentialAuth = "auth-token" | "api-key";

/**
 * A credential resource gives its id and its type; the type is a constant of its class, so it is
 * known already in preview. A bare id leaves the type to the provider, which reads it from the store.
 */
export function credentialInputs(
  resourceType: "SmsWebhook" | "ChannelConfiguration",
  ref: CredentialReference,
): {
  apiCredentialId: pulumi.Input<string>;
  apiCredentialType?: CredentialType;
  apiCredentialAuth?: CredentialAuth;
  apiCredentialSandbox?: pulumi.Input<string>;
} {
  if (pulumi.CustomResource.isInstance(ref)) {
    const type = (ref.constructor as Partial<CredentialClass>).credentialType;
    // The program's mistake, raised while it builds the resource: the provider's INVALID_INPUT, so a
    // program can branch on `code` as it does on the engine's check failures.
    if (!type)
      throw new InputError(resourceType, [
        {
          property: "apiCredential",
          reason: "must be an SmsApiCredential, a CustomRcsCredential or a credential id",
        },
      ]);
    // How an SmsApiCredential signs in is known from its arguments, so preview can say that a
    // webhook on an API key needs twilioAuthToken even before the credential exists.
    const auth = (ref as { signsInWith?: unknown }).signsInWith;
    return {
      apiCredentialId: ref.id,
      apiCredentialType: type,
      ...(auth === "api-key" || auth === "auth-token" ? { apiCredentialAuth: auth } : {}),
      apiCredentialSandbox: sandboxOf(ref),
    };
  }
  return { apiCredentialId: ref as pulumi.Input<string> };
}

/** A resource's `sandbox` output: an input of its own, so known in preview. */
function sandboxOf(resource: pulumi.CustomResource): pulumi.Input<string> {
  return (resource as unknown as { sandbox: pulumi.Output<string> }).sandbox;
}

/** The sandboxes of the webhook resources among `webhooks` (bare ids are the provider's to look up). */
export function webhookSandboxes(
  webhooks: readonly (pulumi.CustomResource | pulumi.Input<string>)[] | undefined,
): pulumi.Input<string>[] | undefined {
  const resources = (webhooks ?? []).filter((w): w is pulumi.CustomResource =>
    pulumi.CustomResource.isInstance(w),
  );
  return resources.length > 0 ? resources.map(sandboxOf) : undefined;
}

/** Webhook resources or webhook ids. */
export function webhookIds(
  webhooks: readonly (pulumi.CustomResource | pulumi.Input<string>)[] | undefined,
): pulumi.Input<string>[] | undefined {
  return webhooks?.map((w) => (pulumi.CustomResource.isInstance(w) ? w.id : (w as pulumi.Input<string>)));
}
