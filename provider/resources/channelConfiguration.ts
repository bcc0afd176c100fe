import * as pulumi from "@pulumi/pulumi";
import type { ChannelConfigurationArgs } from "./args";
import { dynamicProvider } from "./provider";
import { ownerUrn } from "./urn";
import { credentialInputs, webhookIds, webhookSandboxes } from "./references";
import { DEFAULT_SANDBOX, DYNAMIC_MODULE, TYPES } from "./types";

/** The channel campaigns use: a credential, a sender and webhooks, for sms, mms or rcs. */
/** A channel takes the credential's id, type and sandbox; how it signs in is the webhooks' concern. */
function channelCredentialInputs(ref: ChannelConfigurationArgs["apiCredential"]) {
  const { apiCredentialAuth: _auth, ...inputs } = credentialInputs("ChannelConfiguration", ref);
  return inputs;
}

export class ChannelConfiguration extends pulumi.dynamic.Resource {
  static readonly __pulumiType = TYPES.ChannelConfiguration;

  declare readonly sandbox: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly channel: pulumi.Output<"sms" | "mms" | "rcs">;
  declare readonly messageType: pulumi.Output<"marketing" | "transactional">;
  declare readonly apiCredentialId: pulumi.Output<string>;
  declare readonly apiCredentialType: pulumi.Output<string>;
  declare readonly senderNumber: pulumi.Output<string>;
  declare readonly webhookIds: pulumi.Output<string[] | undefined>;
  /** Always `"stored"`: the configuration is kept in the credential store. It turns nothing on at a vendor. */
  declare readonly status: pulumi.Output<"stored">;
  declare readonly recordId: pulumi.Output<string>;
  declare readonly recordVersion: pulumi.Output<number>;

  constructor(name: string, args: ChannelConfigurationArgs, opts?: pulumi.CustomResourceOptions) {
    const { apiCredential, webhooks, ...rest } = args;
    const ids = webhookIds(webhooks);
    const sandboxes = webhookSandboxes(webhooks);
    super(
      dynamicProvider("ChannelConfiguration"),
      name,
      {
        ...rest,
        ...channelCredentialInputs(apiCredential),
        ...(ids ? { webhookIds: ids } : {}),
        ...(sandboxes ? { webhookSandboxes: sandboxes } : {}),
        sandbox: args.sandbox ?? DEFAULT_SANDBOX,
        name: args.name ?? name,
        ownerUrn: ownerUrn(name, ChannelConfiguration.__pulumiType, opts),
        status: undefined,
        recordId: undefined,
        recordVersion: undefined,
      },
      opts,
      DYNAMIC_MODULE,
      "ChannelConfiguration",
    );
  }
}
