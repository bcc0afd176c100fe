"use strict";
// One program for both sides of bench/engine-floor: `bench:side` "ours" builds N resources of
// `bench:kind` with pulumi-sms-channels; "floor" builds N no-op dynamic resources from the same
// inputs, the same way (secrets wrapped, defaults applied, the same output placeholders, a provider
// that serializes to a small closure requiring its code by path). Resources of the dependent kinds
// (SmsWebhook, ChannelConfiguration) refer to one credential of their own side.
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");

const cfg = new pulumi.Config("bench");
const kind = cfg.require("kind");
const n = cfg.requireNumber("n");
const side = cfg.require("side");
const twilioUrl = cfg.require("twilioUrl");
/** [{ sid, serviceSid, inboundNumber, serviceNumber }], their auth tokens in secret `bench:token<i>`. */
const accounts = cfg
  .requireObject("accounts")
  .map((a, i) => ({ ...a, token: cfg.requireSecret(`token${i}`) }));

const FLOOR_PROVIDER = path.join(__dirname, "floor-provider.js");
const floorProviders = new Map();
function floorProvider(type) {
  let p = floorProviders.get(type);
  if (!p) {
    const provider = {
      configure: (req) => require(FLOOR_PROVIDER).configure(req, provider, type),
    };
    p = provider;
    floorProviders.set(type, p);
  }
  return p;
}

const FLOOR_TYPE_PREFIX = "pulumi-nodejs:dynamic/enginefloor:";
const CREDENTIAL_TYPES = { SmsApiCredential: "twilio-sms", CustomRcsCredential: "custom-rcs" };

class Floor extends pulumi.dynamic.Resource {
  constructor(type, name, props, opts) {
    super(floorProvider(type), name, props, opts, "enginefloor", type);
    this.floorType = type;
  }
}

const outputs = (names) => Object.fromEntries(names.map((k) => [k, undefined]));
const ownerUrn = (type, name) =>
  `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${FLOOR_TYPE_PREFIX}${type}::${name}`;
const secretOrUndefined = (v) => (v === undefined ? undefined : pulumi.secret(v));
/** As resources/references.ts: a credential resource gives its id, its type, how it signs in and its sandbox. */
const credentialInputs = (credential, withAuth = true) => ({
  apiCredentialId: credential.id,
  apiCredentialType: CREDENTIAL_TYPES[credential.floorType],
  ...(withAuth && credential.floorType === "SmsApiCredential" ? { apiCredentialAuth: "auth-token" } : {}),
  apiCredentialSandbox: credential.sandbox,
});

/** The props the package's constructors build, for the floor (resources/*.ts, mirrored). */
const FLOOR_PROPS = {
  SmsApiCredential: (name, args) => ({
    ...args,
    sandbox: args.sandbox ?? "prod",
    name: args.name ?? name,
    authToken: secretOrUndefined(args.authToken),
    apiKeySecret: secretOrUndefined(args.apiKeySecret),
    ownerUrn: ownerUrn("SmsApiCredential", name),
    ...outputs(["vendor", "credentialType", "accountFriendlyName", "accountType", "secretFingerprint"]),
    ...outputs(["validatedAt", "verificationMessageSid", "recordId", "recordVersion"]),
  }),
  CustomRcsCredential: (name, args) => ({
    ...args,
    sandbox: args.sandbox ?? "prod",
    name: args.name ?? name,
    auth: pulumi.secret(args.auth),
    headers: secretOrUndefined(args.headers),
    ownerUrn: ownerUrn("CustomRcsCredential", name),
    ...outputs(["vendor", "credentialType", "authType", "authUsername", "authHeaderName", "authTokenUrl"]),
    ...outputs(["headerNames", "secretFingerprint", "validatedAt"]),
    ...outputs(["verifiedAt", "verificationStatus", "verificationMessageSid", "recordId", "recordVersion"]),
  }),
  SmsWebhook: (name, { apiCredential, ...args }) => ({
    ...args,
    ...credentialInputs(apiCredential),
    twilioAuthToken: secretOrUndefined(args.twilioAuthToken),
    verification: secretOrUndefined(args.verification),
    sandbox: args.sandbox ?? "prod",
    name: args.name ?? name,
    ownerUrn: ownerUrn("SmsWebhook", name),
    ...outputs([
      "webhookUrl",
      "resolvedKeywords",
      "verificationType",
      "verificationHeader",
      "secretFingerprint",
    ]),
    ...outputs(["attachedServiceSid", "previousServiceUrl", "recordId", "recordVersion"]),
  }),
  ChannelConfiguration: (name, { apiCredential, ...args }) => ({
    ...args,
    // A channel takes the credential's id and type, not how it signs in.
    ...credentialInputs(apiCredential, false),
    sandbox: args.sandbox ?? "prod",
    name: args.name ?? name,
    ownerUrn: ownerUrn("ChannelConfiguration", name),
    ...outputs(["status", "recordId", "recordVersion"]),
  }),
};

function make(type, name, args) {
  if (side === "floor") return new Floor(type, name, FLOOR_PROPS[type](name, args));
  const Resource = require("pulumi-sms-channels")[type];
  return new Resource(name, args);
}

const account = (i) => accounts[i % accounts.length];

const ARGS = {
  SmsApiCredential: (i) => ({
    accountSid: account(i).sid,
    authToken: account(i).token,
    messagingServiceSid: account(i).serviceSid,
    inboundNumber: account(i).inboundNumber,
  }),
  CustomRcsCredential: (i) => ({
    providerName: "Bench RCS",
    providerUrl: `${twilioUrl}/2010-04-01/Accounts/${account(i).sid}/Messages.json`,
    auth: { type: "basic", username: account(i).sid, password: account(i).token },
    payloadTemplate: JSON.stringify({ To: "{{toNumber}}", From: "{{fromNumber}}", Body: "{{message}}" }),
    messagingServiceSid: account(i).serviceSid,
  }),
  SmsWebhook: (i, credential) => ({ type: i % 2 === 0 ? "inbound" : "feedback", apiCredential: credential }),
  ChannelConfiguration: (i, credential) => ({
    channel: "sms",
    messageType: i % 2 === 0 ? "marketing" : "transactional",
    apiCredential: credential,
    senderNumber: account(0).serviceNumber,
  }),
};

const dependent = kind === "SmsWebhook" || kind === "ChannelConfiguration";
const credential = dependent
  ? make("SmsApiCredential", "shared-credential", ARGS.SmsApiCredential(0))
  : undefined;
for (let i = 0; i < n; i++) make(kind, `${kind}-${i}`, ARGS[kind](i, credential));
