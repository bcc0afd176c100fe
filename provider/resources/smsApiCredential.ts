import * as pulumi from "@pulumi/pulumi";
import type { SmsApiCredentialArgs } from "./args";
import { dynamicProvider } from "./provider";
import type { CredentialAuth } from "./references";
import { ownerUrn } from "./urn";
import { DEFAULT_SANDBOX, DYNAMIC_MODULE, TYPES } from "./types";

/**
 * Twilio API credentials for SMS and MMS, kept encrypted in the credential store and checked against
 * Twilio during preview. `authToken` and `apiKeySecret` are always stored as Pulumi secrets.
 */
export class SmsApiCredential extends pulumi.dynamic.Resource {
  static readonly __pulumiType = TYPES.SmsApiCredential;
  static readonly credentialType = "twilio-sms";

  declare readonly sandbox: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly accountSid: pulumi.Output<string>;
  declare readonly apiKeySid: pulumi.Output<string | undefined>;
  declare readonly messagingServiceSid: pulumi.Output<string | undefined>;
  declare readonly inboundNumber: pulumi.Output<string | undefined>;
  declare readonly vendor: pulumi.Output<"twilio">;
  declare readonly credentialType: pulumi.Output<"twilio-sms">;
  declare readonly accountFriendlyName: pulumi.Output<string | undefined>;
  declare readonly accountType: pulumi.Output<string | undefined>;
  declare readonly secretFingerprint: pulumi.Output<string>;
  declare readonly validatedAt: pulumi.Output<string | undefined>;
  declare readonly verificationMessageSid: pulumi.Output<string | undefined>;
  /** The store record's id (the same as `id`, visible to policy packs). */
  declare readonly recordId: pulumi.Output<string>;
  declare readonly recordVersion: pulumi.Output<number>;

  /** How it signs in, from its arguments (not an output): a webhook on an API key needs `twilioAuthToken`. */
  readonly signsInWith: CredentialAuth | undefined;

  constructor(name: string, args: SmsApiCredentialArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dynamicProvider("SmsApiCredential"),
      name,
      {
        ...args,
        sandbox: args.sandbox ?? DEFAULT_SANDBOX,
        name: args.name ?? name,
        authToken: args.authToken === undefined ? undefined : pulumi.secret(args.authToken),
        apiKeySecret: args.apiKeySecret === undefined ? undefined : pulumi.secret(args.apiKeySecret),
        ownerUrn: ownerUrn(name, SmsApiCredential.__pulumiType, opts),
        vendor: undefined,
        credentialType: undefined,
        accountFriendlyName: undefined,
        accountType: undefined,
        secretFingerprint: undefined,
        validatedAt: undefined,
        verificationMessageSid: undefined,
        recordId: undefined,
        recordVersion: undefined,
      },
      opts,
      DYNAMIC_MODULE,
      "SmsApiCredential",
    );
    this.signsInWith =
      args.apiKeySid !== undefined ? "api-key" : args.authToken !== undefined ? "auth-token" : undefined;
  }
}
