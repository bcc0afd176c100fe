import type { CustomRcsCredentialInputs } from "../schema/customRcsCredential";
import type { CheckFailure } from "../schema/check";
import type { TwilioAuth } from "../twilio/rest";
import { renderPayload } from "../../net/vendor/template";
import { ALLOW_PRIVATE_VENDOR_HOSTS_HINT, forbiddenHostname } from "../../net/ssrf";
import { isUnknown } from "../schema/check";
import type { CustomRcsCredentialOutputs } from "../resources/outputs";
import { applyMode, InputError, pick, storedFields, validationMode } from "./common";
import type { ProviderContext } from "./context";
import { recordHandlers, same, type Keys, type State, type StateProps } from "./record";

const TYPE = "CustomRcsCredential";
/** The input schema needs zod: required on the first check (see record.ts `schema`). */
const schemaModule = () =>
  require("../schema/customRcsCredential") as typeof import("../schema/customRcsCredential");
type Props = StateProps<CustomRcsCredentialInputs, CustomRcsCredentialOutputs>;
const stored = storedFields<State<CustomRcsCredentialInputs, CustomRcsCredentialOutputs>>();
const TWILIO_MESSAGES_PATH = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Messages\.json$/;

/** The account of a Twilio Messages API URL (at Twilio, or at the configured twilioApiUrl). */
export function twilioMessagesAccount(ctx: ProviderContext, providerUrl: string): string | undefined {
  let u: URL;
  try {
    u = new URL(providerUrl);
  } catch {
    return undefined;
  }
  const apiUrl = ctx.settings.twilioApiUrl;
  const atTwilio =
    u.hostname === "api.twilio.com" || (apiUrl !== undefined && new URL(apiUrl).origin === u.origin);
  const base = apiUrl ? new URL(apiUrl).pathname.replace(/\/+$/, "") : "";
  const path = base && u.pathname.startsWith(base) ? u.pathname.slice(base.length) : u.pathname;
  return atTwilio ? TWILIO_MESSAGES_PATH.exec(path)?.[1] : undefined;
}

/** For a Twilio Messages URL with basic auth: the Twilio sign-in it amounts to. */
function twilioAuthOf(
  ctx: ProviderContext,
  v: CustomRcsCredentialInputs,
): { auth: TwilioAuth; urlAccount: string } | undefined {
  const urlAccount = twilioMessagesAccount(ctx, v.providerUrl);
  if (!urlAccount || v.auth.type !== "basic") return undefined;
  const { username, password } = v.auth;
  if (username.startsWith("SK"))
    return { auth: { accountSid: urlAccount, apiKeySid: username, apiKeySecret: password }, urlAccount };
  return { auth: { accountSid: username, authToken: password }, urlAccount };
}

/** Twilio's verdict, with its fields renamed to this resource's inputs. */
async function validate(
  ctx: ProviderContext,
  v: CustomRcsCredentialInputs,
): Promise<{ failures: CheckFailure[]; validatedAt?: string }> {
  const mode = validationMode(ctx, v.validation);
  if (mode === "off") return { failures: [] };
  const twilio = twilioAuthOf(ctx, v);
  const failures: CheckFailure[] = [];
  if (!twilio) {
    if (v.messagingServiceSid) {
      failures.push({
        property: "messagingServiceSid",
        reason:
          'can be checked for an RCS sender only with Twilio credentials: use a Twilio Messages URL (https://api.twilio.com/2010-04-01/Accounts/AC…/Messages.json) with basic auth, or set validation to "warn"',
      });
    }
    return { failures: applyMode(mode, v.name, failures) };
  }
  if ("authToken" in twilio.auth && twilio.auth.accountSid !== twilio.urlAccount) {
    failures.push({
      property: "providerUrl",
      reason: `names account ${twilio.urlAccount}, but auth.username signs in as ${twilio.auth.accountSid}: the account in the URL must be the one authenticated`,
    });
    return { failures: applyMode(mode, v.name, failures) };
  }
  const report = await ctx.validator.checkSmsCredential({
    auth: twilio.auth,
    ...(v.messagingServiceSid ? { messagingServiceSid: v.messagingServiceSid, requireRcsSender: true } : {}),
  });
  const renamed: Record<string, string> = {
    authToken: "auth.password",
    apiKeySecret: "auth.password",
    accountSid: "providerUrl",
  };
  for (const f of report.failures)
    failures.push({ property: renamed[f.property] ?? f.property, reason: f.reason });
  return { failures: applyMode(mode, v.name, failures), validatedAt: report.validatedAt };
}

/**
 * A vendor URL whose host is a forbidden IP literal or host name (net/ssrf.ts), refused in preview;
 * a name that only resolves to such an address is refused when the connection is made.
 */
function privateHostFailures(ctx: ProviderContext, news: Record<string, unknown>): CheckFailure[] {
  if (ctx.settings.allowPrivateVendorHosts) return [];
  const auth = news["auth"];
  const urls: Array<[string, unknown]> = [
    ["providerUrl", news["providerUrl"]],
    [
      "auth.tokenUrl",
      typeof auth === "object" && auth !== null ? (auth as Record<string, unknown>)["tokenUrl"] : undefined,
    ],
  ];
  const failures: CheckFailure[] = [];
  for (const [property, value] of urls) {
    if (typeof value !== "string" || isUnknown(value)) continue;
    let host: string;
    try {
      host = new URL(value).hostname;
    } catch {
      continue; // the schema reports it
    }
    const why = forbiddenHostname(host);
    if (why !== undefined) {
      failures.push({
        property,
        reason: `${host} is ${why}, not a public host: vendor URLs may reach only public addresses (to allow it, ${ALLOW_PRIVATE_VENDOR_HOSTS_HINT})`,
      });
    }
  }
  return failures;
}

/** Non-secret facts about the auth, for outputs: its type and the names it uses, never a secret. */
function authSummary(
  v: CustomRcsCredentialInputs,
): Pick<CustomRcsCredentialOutputs, "authType" | "authUsername" | "authHeaderName" | "authTokenUrl"> {
  switch (v.auth.type) {
    case "basic":
      return { authType: "basic", authUsername: v.auth.username };
    case "bearer":
      return { authType: "bearer" };
    case "apiKey":
      return { authType: "apiKey", authHeaderName: v.auth.name };
    case "oauth2":
      return { authType: "oauth2", authTokenUrl: v.auth.tokenUrl };
    case "none":
      return { authType: v.auth.mtls ? "mtls" : "none" };
  }
}

const DATA_FIELDS = [
  "providerName",
  "providerAppId",
  "providerUrl",
  "payloadTemplate",
  "messagingServiceSid",
] as const satisfies Keys<CustomRcsCredentialOutputs>;
/** Stored facts that are not inputs: what the auth is (never its secret), the header names, the check's time. */
const COMPUTED_FIELDS = [
  "authType",
  "authUsername",
  "authHeaderName",
  "authTokenUrl",
  "headerNames",
  "validatedAt",
] as const satisfies Keys<CustomRcsCredentialOutputs>;

export const customRcsCredential = recordHandlers<CustomRcsCredentialInputs, CustomRcsCredentialOutputs>({
  type: TYPE,
  kind: "api-credential",
  credentialType: "custom-rcs",
  schema: () => schemaModule().customRcsCredentialInputs,
  plainFields: ["sandbox", "name", ...DATA_FIELDS, "verifyConnection", "validation"],
  secretFields: ["auth", "headers"],
  checkNeeds: ["providerUrl", "auth", "messagingServiceSid", "validation"],

  checkSettings: privateHostFailures,

  async checkKnown(ctx, v) {
    return (await validate(ctx, v)).failures;
  },

  async prepare(ctx, v, phase, olds) {
    const { failures, validatedAt } = await validate(ctx, v);
    if (failures.length > 0) throw new InputError(TYPE, failures);
    let verification: Record<string, unknown> = pick(olds ?? {}, [
      "verifiedAt",
      "verificationStatus",
      "verificationMessageSid",
    ]);
    if (v.verifyConnection && (phase === "create" || !same(olds?.["verifyConnection"], v.verifyConnection))) {
      // The sample message goes before the write: if the vendor refuses it, nothing is written.
      const payload = renderPayload(v.payloadTemplate, {
        fromNumber: v.verifyConnection.from ?? "",
        toNumber: v.verifyConnection.to,
        message: v.verifyConnection.message,
      });
      const answer = await ctx
        .vendorClient()
        .send({
          providerUrl: v.providerUrl,
          auth: v.auth,
          ...(v.headers ? { headers: v.headers } : {}),
          payload,
        })
        .catch((e: unknown) => {
          throw new InputError(TYPE, [
            { property: "verifyConnection", reason: e instanceof Error ? e.message : String(e) },
          ]);
        });
      verification = {
        verifiedAt: new Date().toISOString(),
        verificationStatus: answer.status,
        ...(answer.messageSid ? { verificationMessageSid: answer.messageSid } : {}),
      };
    }
    return {
      data: {
        ...pick(v, DATA_FIELDS),
        ...authSummary(v),
        headerNames: Object.keys(v.headers ?? {}),
        ...(validatedAt ? { validatedAt } : {}),
      },
      outputs: verification,
    };
  },

  outputs: (_ctx, _v, record): Props => ({ vendor: "custom", ...stored(record.data, COMPUTED_FIELDS) }),

  readProps: (_ctx, record): Props => ({
    vendor: "custom",
    credentialType: "custom-rcs",
    ...stored(record.data, [...DATA_FIELDS, ...COMPUTED_FIELDS]),
  }),
});
