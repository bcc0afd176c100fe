import type * as pulumi from "@pulumi/pulumi";

/** A zod-inferred input type, with every level accepting Pulumi inputs (values or outputs). */
export type DeepInput<T> = T extends string | number | boolean
  ? pulumi.Input<T>
  : T extends readonly (infer E)[]
    ? pulumi.Input<DeepInput<E>[]>
    : T extends object
      ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
      : pulumi.Input<T>;

/** Resource args: the schema's input type without what the resource class sets itself. */
export type ArgsOf<T> = { [K in keyof Omit<T, "ownerUrn">]: DeepInput<Omit<T, "ownerUrn">[K]> };

export const TYPE_PREFIX = "pulumi-nodejs:dynamic/smschannels:";

export const DYNAMIC_MODULE = "smschannels";
