import * as pulumi from "@pulumi/pulumi";
import type { CustomRcsCredentialArgs } from "./args";
import { dynamicProvider } from "./provider";
import { ownerUrn } from "./urn";
import { DEFAULT_SANDBOX, DYNAMIC_MODULE, TYPES } from "./types";

/**
 * Credentials of a custom vendor: the way to send RCS (for instance through Twilio's Messages API
 * with a JSON payload). `auth` and `headers` are stored encrypted and kept as Pulumi secrets.
 */
export class CustomRcsCredential extends pulumi.dynamic.Resource {
  static readonly __pulumiType = TYPES.CustomRcsCredential;
  static readonly credentialType = "custom-rcs";

  declare readonly sandbox: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly providerName: pulumi.Output<string>;
  declare readonly providerAppId: pulumi.Output<string | undefined>;
  declare readonly providerUrl: pulumi.Output<string>;
  declare readonly payloadTemplate: pulumi.Output<string>;
  declare readonly messagingServiceSid: pulumi.Output<string | undefined>;
  declare readonly vendor: pulumi.Output<"custom">;
  declare readonly credentialType: pulumi.Output<"custom-rcs">;
  /** basic, bearer, apiKey, oauth2, mtls or none: never the secret itself. */
  declare readonly authType: pulumi.Output<string>;
  /** The basic-auth user name, the API-key header's name, the OAuth2 token URL: what the auth is. */
  declare readonly authUsername: pulumi.Output<string | undefined>;
  declare readonly authHeaderName: pulumi.Output<string | undefined>;
  declare readonly authTokenUrl: pulumi.Output<string | undefined>;
  declare readonly headerNames: pulumi.Output<string[]>;
  declare readonly secretFingerprint: pulumi.Output<string>;
  declare readonly validatedAt: pulumi.Output<string | undefined>;
  declare readonly verifiedAt: pulumi.Output<string | undefined>;
  declare readonly verificationStatus: pulumi.Output<number | undefined>;
  declare readonly verificationMessageSid: pulumi.Output<string | undefined>;
  declare readonly recordId: pulumi.Output<string>;
  declare readonly recordVersion: pulumi.Output<number>;

  constructor(name: string, args: CustomRcsCredentialArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dynamicProvider("CustomRcsCredential"),
      name,
      {
        ...args,
        sandbox: args.sandbox ?? DEFAULT_SANDBOX,
        name: args.name ?? name,
        auth: pulumi.secret(args.auth),
        headers: args.headers === undefined ? undefined : pulumi.secret(args.headers),
        ownerUrn: ownerUrn(name, CustomRcsCredential.__pulumiType, opts),
        vendor: undefined,
        credentialType: undefined,
        authType: undefined,
        authUsername: undefined,
        authHeaderName: undefined,
        authTokenUrl: undefined,
        headerNames: undefined,
        secretFingerprint: undefined,
        validatedAt: undefined,
        verifiedAt: undefined,
        verificationStatus: undefined,
        verificationMessageSid: undefined,
        recordId: undefined,
        recordVersion: undefined,
      },
      opts,
      DYNAMIC_MODULE,
      "CustomRcsCredential",
    );
  }
}
