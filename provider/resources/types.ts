import type * as pulumi from "@pulumi/pulumi";

/** A zod-inferred input type, with every level accepting Pulumi inputs (values or outputs). */
export type DeepInput<T> = T extends string | number | boolean
  ? pulumi.Input<T>
  : T extends readonly (infer E)[]
    ? pulumi.Input<DeepInput<E>[]>
    : T extends object
      ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
      : pulumi.Input<T>;

type Own<T> = Omit<T, "ownerUrn" | "name">;

/**
 * Resource args: the schema's input type, less what the resource class sets itself (`ownerUrn`), with
 * `name` optional since it defaults to the Pulumi resource name.
 */
export type ArgsOf<T> = { [K in keyof Own<T>]: DeepInput<Own<T>[K]> } & { name?: pulumi.Input<string> };

export const TYPE_PREFIX = "pulumi-nodejs:dynamic/smschannels:";

export const DYNAMIC_MODULE = "smschannels";
