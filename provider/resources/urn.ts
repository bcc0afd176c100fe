import * as pulumi from "@pulumi/pulumi";

/**
 * The URN the engine gives a resource, as its `ownerUrn` input. Without a parent it is known at once
 * (the same text `pulumi.createUrn` builds): a plain string, where `createUrn` makes an Output that
 * costs about a third of a millisecond per resource to build and resolve. Under a parent, the
 * parent's URN decides it, so it stays an Output.
 */
export function ownerUrn(
  name: string,
  type: string,
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.Input<string> {
  if (opts?.parent) return pulumi.createUrn(name, type, opts.parent);
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${type}::${name}`;
}
