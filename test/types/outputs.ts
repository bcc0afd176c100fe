/**
 * Type-level test, compiled by `npm run lint` (tsconfig.check.json): each resource class declares
 * exactly the outputs of provider/resources/outputs.ts, the one declaration the handlers are typed
 * from. A field declared on a class and not in its Outputs (or the reverse), another type, or another
 * optionality (`Output<T | undefined>` against `field?: T`) fails lint here, naming the resource.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ChannelConfiguration, CustomRcsCredential, SmsApiCredential, SmsWebhook } from "../../provider";
import type {
  ChannelConfigurationOutputs,
  CustomRcsCredentialOutputs,
  SmsApiCredentialOutputs,
  SmsWebhookOutputs,
} from "../../provider/resources/outputs";

/** Every resource has these two; they are the engine's, not ours. */
type EngineOutputs = "urn" | "id";
type OutputKeys<C> = Exclude<
  { [K in keyof C]-?: C[K] extends pulumi.OutputInstance<unknown> ? K : never }[keyof C],
  EngineOutputs
>;
/** A class's `declare readonly x: pulumi.Output<T>`s: optional where T takes undefined. */
type Declared<C> = {
  [K in OutputKeys<C>]: C[K] extends pulumi.OutputInstance<infer U>
    ? [undefined extends U ? "optional" : "required", Exclude<U, undefined>]
    : never;
};
/** An Outputs interface in the same form. */
type Listed<T> = {
  [K in keyof T]-?: [object extends Pick<T, K> ? "optional" : "required", Exclude<T[K], undefined>];
};

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
function assertEqual<A, B>(verdict: Equal<A, B>, _a?: A, _b?: B): void {
  void verdict;
}

// "Argument of type 'false' is not assignable to parameter of type 'true'" below: the class and
// provider/resources/outputs.ts disagree for that resource; change both (and the handler, which the
// compiler then points at).
assertEqual<Declared<SmsApiCredential>, Listed<SmsApiCredentialOutputs>>(true);
assertEqual<Declared<CustomRcsCredential>, Listed<CustomRcsCredentialOutputs>>(true);
assertEqual<Declared<SmsWebhook>, Listed<SmsWebhookOutputs>>(true);
assertEqual<Declared<ChannelConfiguration>, Listed<ChannelConfigurationOutputs>>(true);

// The test can fail: a missing field, an extra one, a wrong type, a wrong optionality.
assertEqual<Declared<SmsApiCredential>, Listed<Omit<SmsApiCredentialOutputs, "accountType">>>(false);
assertEqual<Declared<SmsApiCredential>, Listed<SmsApiCredentialOutputs & { extra: string }>>(false);
assertEqual<
  Declared<SmsApiCredential>,
  Listed<Omit<SmsApiCredentialOutputs, "recordVersion"> & { recordVersion: string }>
>(false);
assertEqual<Declared<SmsApiCredential>, Listed<Required<SmsApiCredentialOutputs>>>(false);
assertEqual<Declared<ChannelConfiguration>, Listed<Partial<ChannelConfigurationOutputs>>>(false);
