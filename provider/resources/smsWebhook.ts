import * as pulumi from "@pulumi/pulumi";
import type { SmsWebhookArgs } from "./args";
import { dynamicProvider } from "./provider";
import { ownerUrn } from "./urn";
import { credentialInputs } from "./references";
import { DEFAULT_SANDBOX, DYNAMIC_MODULE, TYPES } from "./types";

/**
 * An inbound (messages and keywords) or feedback (delivery status) webhook of a credential. With
 * `attachToMessagingService` it points the credential's Twilio Messaging Service at itself and puts
 * the earlier URL back when deleted.
 */
export class SmsWebhook extends pulumi.dynamic.Resource {
  static readonly __pulumiType = TYPES.SmsWebhook;

  declare readonly sandbox: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly type: pulumi.Output<"inbound" | "feedback">;
  declare readonly apiCredentialId: pulumi.Output<string>;
  declare readonly apiCredentialType: pulumi.Output<string>;
  declare readonly webhookUrl: pulumi.Output<string>;
  /** The keywords the messaging runtime answers, the contract's defaults filled in (inbound only). */
  declare readonly resolvedKeywords: pulumi.Output<unknown>;
  /** `basic`, `bearer` or `hmac-sha256` (custom vendors): never the secret itself. */
  declare readonly verificationType: pulumi.Output<string | undefined>;
  declare readonly verificationHeader: pulumi.Output<string | undefined>;
  declare readonly secretFingerprint: pulumi.Output<string | undefined>;
  declare readonly attachedServiceSid: pulumi.Output<string | undefined>;
  declare readonly recordId: pulumi.Output<string>;
  declare readonly recordVersion: pulumi.Output<number>;

  constructor(name: string, args: SmsWebhookArgs, opts?: pulumi.CustomResourceOptions) {
    const { apiCredential, ...rest } = args;
    super(
      dynamicProvider("SmsWebhook"),
      name,
      {
        ...rest,
        ...credentialInputs("SmsWebhook", apiCredential),
        twilioAuthToken: args.twilioAuthToken === undefined ? undefined : pulumi.secret(args.twilioAuthToken),
        verification: args.verification === undefined ? undefined : pulumi.secret(args.verification),
        sandbox: args.sandbox ?? DEFAULT_SANDBOX,
        name: args.name ?? name,
        ownerUrn: ownerUrn(name, SmsWebhook.__pulumiType, opts),
        webhookUrl: undefined,
        resolvedKeywords: undefined,
        verificationType: undefined,
        verificationHeader: undefined,
        secretFingerprint: undefined,
        attachedServiceSid: undefined,
        previousServiceUrl: undefined,
        recordId: undefined,
        recordVersion: undefined,
      },
      opts,
      DYNAMIC_MODULE,
      "SmsWebhook",
    );
  }
}
