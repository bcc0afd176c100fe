import * as pulumi from "@pulumi/pulumi";
import type { CredentialType } from "../../store/types";

/** What a credential resource class says about itself, readable without instanceof across SDK copies. */
export interface CredentialClass {
  readonly credentialType: CredentialType;
}

import type { CredentialReference } from "./args";

/**
 * A credential resource gives its id and its type; the type is a constant of its class, so it is
 * known already in preview. A bare id leaves the type to the provider, which reads it from the store.
 */
export function credentialInputs(ref: CredentialReference): {
  apiCredentialId: pulumi.Input<string>;
  apiCredentialType?: CredentialType;
} {
  if (pulumi.CustomResource.isInstance(ref)) {
    const type = (ref.constructor as Partial<CredentialClass>).credentialType;
    if (!type)
      throw new Error("apiCredential: must be an SmsApiCredential, a CustomRcsCredential or a credential id");
    return { apiCredentialId: ref.id, apiCredentialType: type };
  }
  return { apiCredentialId: ref as pulumi.Input<string> };
}

/** Webhook resources or webhook ids. */
export function webhookIds(
  webhooks: readonly (pulumi.CustomResource | pulumi.Input<string>)[] | undefined,
): pulumi.Input<string>[] | undefined {
  return webhooks?.map((w) => (pulumi.CustomResource.isInstance(w) ? w.id : (w as pulumi.Input<string>)));
}
