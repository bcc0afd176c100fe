/**
 * Type-level test, compiled by `npm run lint` (tsconfig.check.json): the published argument types
 * (provider/resources/args.ts, plain interfaces so the .d.ts needs no zod) accept exactly what the
 * zod schemas accept. A field added to a schema and not to the interface (or the reverse, or a
 * different type or optionality) fails lint here, naming the resource.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type {
  ChannelConfigurationArgs,
  CustomRcsCredentialArgs,
  SmsApiCredentialArgs,
  SmsWebhookArgs,
} from "../../provider/resources/args";
import type { channelConfigurationInputs } from "../../provider/schema/channelConfiguration";
import type { customRcsCredentialInputs } from "../../provider/schema/customRcsCredential";
import type { smsApiCredentialInputs } from "../../provider/schema/smsApiCredential";
import type { smsWebhookInputs } from "../../provider/schema/smsWebhook";

/** The plain value behind any level of `pulumi.Input`, with each key marked optional or not. */
type Plain<T> =
  T extends pulumi.OutputInstance<infer U>
    ? Plain<U>
    : T extends Promise<infer U>
      ? Plain<U>
      : T extends string | number | boolean | null | undefined
        ? T
        : T extends readonly (infer E)[]
          ? Plain<E>[]
          : { [K in keyof T]-?: [OptionalKey<T, K>, Plain<Exclude<T[K], undefined>>] };
type OptionalKey<T, K extends keyof T> = object extends Pick<T, K> ? "optional" : "required";

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
function assertEqual<A, B>(verdict: Equal<A, B>, _a?: A, _b?: B): void {
  void verdict;
}

/** Set by the resource class itself, not by the program. */
type Internal = "ownerUrn";
/** `name` defaults to the resource name, so the class takes it as optional. */
type Schema<S extends z.ZodType, Replaced extends string = never> = Omit<
  z.input<S>,
  Internal | "name" | Replaced
> & {
  name?: string;
};
/** The credential (and webhooks) are given as resources or ids; the class turns them into these. */
type Refs = "apiCredentialId" | "apiCredentialType";
/** Set by the class from the credential resource: how an SmsApiCredential signs in. */
type WebhookRefs = Refs | "apiCredentialAuth" | "apiCredentialSandbox";

// "Argument of type 'false' is not assignable to parameter of type 'true'" below: provider/resources/args.ts
// and the schema of that resource disagree; change both.
assertEqual<Plain<SmsApiCredentialArgs>, Plain<Schema<typeof smsApiCredentialInputs>>>(true);
assertEqual<Plain<CustomRcsCredentialArgs>, Plain<Schema<typeof customRcsCredentialInputs>>>(true);
assertEqual<
  Plain<Omit<SmsWebhookArgs, "apiCredential">>,
  Plain<Schema<typeof smsWebhookInputs, WebhookRefs>>
>(true);
assertEqual<
  Plain<Omit<ChannelConfigurationArgs, "apiCredential" | "webhooks">>,
  Plain<
    Schema<
      typeof channelConfigurationInputs,
      Refs | "webhookIds" | "webhookSandboxes" | "apiCredentialSandbox"
    >
  >
>(true);

// The test can fail: a missing field, a wrong type, a wrong optionality.
assertEqual<Plain<Omit<SmsApiCredentialArgs, "inboundNumber">>, Plain<Schema<typeof smsApiCredentialInputs>>>(
  false,
);
assertEqual<
  Plain<SmsApiCredentialArgs & { inboundNumber: number }>,
  Plain<Schema<typeof smsApiCredentialInputs>>
>(false);
assertEqual<Plain<SmsApiCredentialArgs>, Plain<Required<Schema<typeof smsApiCredentialInputs>>>>(false);

// Every level takes Pulumi inputs: outputs of other resources, nested ones included.
declare const out: pulumi.Output<string>;
export const nested: CustomRcsCredentialArgs = {
  providerName: out,
  providerUrl: out,
  auth: { type: "basic", username: out, password: out },
  headers: { "X-Tenant": out },
  payloadTemplate: out,
  verifyConnection: { to: out, message: out },
};
export const keywords: SmsWebhookArgs["keywords"] = { optOut: { keywords: [out], reply: out, fuzzy: true } };
