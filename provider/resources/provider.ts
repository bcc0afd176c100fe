import type * as pulumi from "@pulumi/pulumi";
import type { ResourceTypeName } from "../handlers";

const cache = new Map<ResourceTypeName, pulumi.dynamic.ResourceProvider>();

/**
 * The dynamic provider Pulumi serializes into state (`__provider`): one `configure` that requires
 * the installed package by name and lets it install check/diff/create/read/update/delete on this
 * very object. The dynamic provider host always calls `configure` (with the stack config) right
 * after it deserializes a provider and before any other method, so the state holds no code, no
 * secret and no setting, stays about 0.5 KiB a resource, and always runs the package version
 * installed next to the program.
 */
export function dynamicProvider(type: ResourceTypeName): pulumi.dynamic.ResourceProvider {
  let p = cache.get(type);
  if (!p) {
    const provider: Partial<pulumi.dynamic.ResourceProvider> = {
      configure: (req) => require("pulumi-sms-channels/handlers").configure(req, provider, type),
    };
    p = provider as pulumi.dynamic.ResourceProvider;
    cache.set(type, p);
  }
  return p;
}
