// What the serialized dynamic providers require by name (`pulumi-sms-channels/handlers`): the
// provider-process side of every resource. Nothing here runs in the Pulumi program itself.
// First, before anything that loads undici: how V8 compiles undici's WebAssembly (see lean-wasm.ts).
import "./lean-wasm";
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigSource } from "../config";
import { channelConfiguration } from "./channelConfiguration";
import { bindHandlers, type ContextHandlers } from "./common";
import { contextFromConfig, type ProviderContext } from "./context";
import { customRcsCredential } from "./customRcsCredential";
import { smsApiCredential } from "./smsApiCredential";
import { smsWebhook } from "./smsWebhook";
import { ProviderError } from "../errors";
import { RESOURCE_NAMES, type ResourceName } from "../../contract/tokens";

export type { ContextHandlers, ResourceHandlers } from "./common";
export { ProviderContext } from "./context";

/** The resource types a serialized provider may name: the contract's list (contract/tokens.ts), not a copy. */
export const RESOURCE_TYPES: typeof RESOURCE_NAMES = RESOURCE_NAMES;
export type ResourceTypeName = ResourceName;

export function handlersFor(type: ResourceTypeName): ContextHandlers {
  switch (type) {
    case "SmsApiCredential":
      return smsApiCredential;
    case "CustomRcsCredential":
      return customRcsCredential;
    case "SmsWebhook":
      return smsWebhook;
    case "ChannelConfiguration":
      return channelConfiguration;
    default: {
      // Exhaustive over the contract's names: a resource added there and not here fails to compile.
      const unknown: never = type;
      throw new ProviderError(
        "UNKNOWN_RESOURCE_TYPE",
        `pulumi-sms-channels: unknown resource type ${String(unknown)}; is the installed package older than the program that wrote this state?`,
      );
    }
  }
}

/** One per provider process: the engine configures every resource type's provider with the same stack config. */
let processContext: ProviderContext | undefined;

/**
 * Called by the serialized provider with the whole stack config: builds the process's context once,
 * then gives the provider object its CRUD methods, bound to that context.
 */
export async function configure(
  req: { config: ConfigSource } | undefined,
  provider: Partial<pulumi.dynamic.ResourceProvider>,
  type: ResourceTypeName,
): Promise<void> {
  processContext ??= contextFromConfig(req);
  Object.assign(provider, bindHandlers(handlersFor(type), processContext));
}
