// What the serialized dynamic providers require by name (`pulumi-sms-channels/handlers`): the
// provider-process side of every resource. Nothing here runs in the Pulumi program itself.
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigSource } from "../config";
import { channelConfiguration } from "./channelConfiguration";
import type { ResourceHandlers } from "./common";
import { configureContext } from "./context";
import { customRcsCredential } from "./customRcsCredential";
import { smsApiCredential } from "./smsApiCredential";
import { smsWebhook } from "./smsWebhook";

export type { ResourceHandlers } from "./common";

export const RESOURCE_TYPES = [
  "SmsApiCredential",
  "CustomRcsCredential",
  "SmsWebhook",
  "ChannelConfiguration",
] as const;
export type ResourceTypeName = (typeof RESOURCE_TYPES)[number];

export function handlersFor(type: ResourceTypeName): ResourceHandlers {
  switch (type) {
    case "SmsApiCredential":
      return smsApiCredential;
    case "CustomRcsCredential":
      return customRcsCredential;
    case "SmsWebhook":
      return smsWebhook;
    case "ChannelConfiguration":
      return channelConfiguration;
    default:
      throw new Error(
        `pulumi-sms-channels: unknown resource type ${String(type)}; is the installed package older than the program that wrote this state?`,
      );
  }
}

/**
 * Called by the serialized provider with the whole stack config: opens the shared context once per
 * process, then gives the provider object its CRUD methods.
 */
export async function configure(
  req: { config: ConfigSource } | undefined,
  provider: Partial<pulumi.dynamic.ResourceProvider>,
  type: ResourceTypeName,
): Promise<void> {
  configureContext(req);
  const h = handlersFor(type);
  Object.assign(provider, {
    check: h.check,
    diff: h.diff,
    create: h.create,
    read: h.read,
    update: h.update,
    delete: h.delete,
  });
}
