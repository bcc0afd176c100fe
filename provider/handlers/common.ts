import type * as pulumi from "@pulumi/pulumi";
import { canonicalJson } from "../../store/crypto";
import { StoreError } from "../../store/errors";
import { ProviderError, StoreFailedError } from "../errors";
import type { StoredRecord } from "../../store/types";
import type { CheckFailure } from "../schema/check";
import { containsUnknown, isUnknown } from "../schema/check";
import type { ValidationMode } from "../schema/common";
import type { ProviderContext } from "./context";
import { warn } from "./log";

export type Inputs = Record<string, unknown>;

/** The six dynamic-provider methods every resource implements. */
export interface ResourceHandlers {
  check(olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult>;
  diff(id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult>;
  read(id: string, props: Inputs): Promise<pulumi.dynamic.ReadResult>;
  update(id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult>;
  delete(id: string, props: Inputs): Promise<void>;
}

/**
 * The same six methods, taking the provider context first: what each resource module implements,
 * and what tests call with a context of their own (a SQLite store in a temporary folder, the Twilio
 * emulator). `configure` binds them to the process's context (see bindHandlers).
 */
export type ContextHandlers = {
  [K in keyof ResourceHandlers]: (
    ctx: ProviderContext,
    ...args: Parameters<ResourceHandlers[K]>
  ) => ReturnType<ResourceHandlers[K]>;
};

export function bindHandlers(h: ContextHandlers, ctx: ProviderContext): ResourceHandlers {
  return {
    check: (olds, news) => h.check(ctx, olds, news),
    diff: (id, olds, news) => h.diff(ctx, id, olds, news),
    create: (inputs) => h.create(ctx, inputs),
    read: (id, props) => h.read(ctx, id, props),
    update: (id, olds, news) => h.update(ctx, id, olds, news),
    delete: (id, props) => h.delete(ctx, id, props),
  };
}

export { InputError } from "../errors";

export function validationMode(ctx: ProviderContext, perResource: unknown): ValidationMode {
  if (perResource === "strict" || perResource === "warn" || perResource === "off") return perResource;
  return ctx.settings.validation;
}

/** Twilio's verdicts: failures in `strict`, warnings in `warn`. */
export function applyMode(
  mode: ValidationMode,
  resourceName: string,
  failures: readonly CheckFailure[],
): CheckFailure[] {
  if (mode === "strict") return [...failures];
  for (const f of failures)
    warn(`${resourceName}: ${f.property}: ${f.reason} (validation is "warn": going on)`);
  return [];
}

/**
 * An output that `read` sets when refresh found the record at another version than the state's: a
 * change made outside Pulumi, which the next `up` puts back to the program's values. Any write drops it.
 */
export const CHANGED_OUTSIDE = "changedOutsidePulumi";

/** Fields whose change replaces the resource. */
const REPLACE_ON = ["sandbox"];

/**
 * The contract's diff: `sandbox` replaces; a secret is compared through its fingerprint; every other
 * input updates in place. Unknown new values count as changes.
 */
export function diffFields(
  olds: Inputs,
  news: Inputs,
  fields: readonly string[],
  newFingerprint: string | undefined | "unknown",
  outsideChange = olds[CHANGED_OUTSIDE] === true,
): pulumi.dynamic.DiffResult {
  const changed: string[] = [];
  for (const f of fields) {
    // Key order differs between what the engine sends and what zod returns: compare canonically.
    if (containsUnknown(news[f]) || canonicalJson(olds[f] ?? null) !== canonicalJson(news[f] ?? null))
      changed.push(f);
  }
  if (
    newFingerprint === "unknown" ||
    (newFingerprint !== undefined && newFingerprint !== olds["secretFingerprint"])
  ) {
    changed.push("secret");
  }
  const replaces = changed.filter((f) => REPLACE_ON.includes(f));
  if (changed.length === 0) return { changes: false, deleteBeforeReplace: false };
  return {
    // The dynamic provider host (@pulumi/pulumi 3.x) passes on no changed keys and no detailed diff,
    // so a "yes" here shows as a bare `~ update` (a rotated secret names nothing at all). "Unknown"
    // makes the engine diff the old inputs against the new ones itself and name each changed input
    // (`~ authToken: [secret]`), plus the replacement we ask for. Only a change made outside Pulumi
    // (seen by refresh, not in the inputs) needs a plain "yes", or the engine would find nothing.
    ...(outsideChange ? { changes: true } : {}),
    ...(replaces.length ? { replaces } : {}),
    deleteBeforeReplace: false,
  };
}

/** The engine's Struct codec refuses `undefined`: outputs leave such fields out. */
export function compact(o: Inputs): Inputs {
  const out: Inputs = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** Every named field, undefined included, so a field gone from the store also leaves the outputs. */
export function fields(inputs: Inputs, names: readonly string[]): Inputs {
  return Object.fromEntries(names.map((n) => [n, inputs[n]]));
}

/**
 * `fields`, typed as the resource's state `S`: the record's data was written by the resource's
 * `prepare` from the same parsed inputs, and the store checks it against contract/schema, so its
 * fields have the state's types (the one cast that says so). Named by key: a typo does not compile.
 */
export function storedFields<S>(): <K extends keyof S & string>(
  data: Inputs,
  names: readonly K[],
) => { [P in K]?: S[P] } {
  return (data, names) => fields(data, names) as { [P in keyof S]?: S[P] };
}

export function pick(inputs: Inputs, fields: readonly string[]): Inputs {
  const out: Inputs = {};
  for (const f of fields) if (inputs[f] !== undefined) out[f] = inputs[f];
  return out;
}

export function anyUnknown(inputs: Inputs, fields: readonly string[]): boolean {
  return fields.some((f) => isUnknown(inputs[f]) || containsUnknown(inputs[f]));
}

/**
 * Creates the record, or adopts it when a record of the same name was written by this same resource
 * (a crash between the store write and the state write): the retried `up` then converges.
 */
export async function createOrAdopt(
  typeName: string,
  ownerUrn: string | undefined,
  create: () => Promise<StoredRecord>,
  findExisting: () => Promise<StoredRecord | undefined>,
  adopt: (existing: StoredRecord) => Promise<StoredRecord>,
): Promise<StoredRecord> {
  try {
    return await create();
  } catch (e) {
    if (!StoreError.is(e, "ALREADY_EXISTS")) throw storeFailure(typeName, e);
    const existing = await findExisting();
    if (existing && ownerUrn && existing.ownerUrn === ownerUrn) return adopt(existing);
    throw new ProviderError(
      "NAME_TAKEN",
      `${typeName}: ${e.message}. It was not written by this resource${existing?.ownerUrn ? ` but by ${existing.ownerUrn}` : ""}: choose another \`name\` or \`sandbox\`, or delete that record first`,
      { cause: e },
    );
  }
}

/** Turns a store error into one that says which resource and field, and what to do. */
export function storeFailure(typeName: string, e: unknown): Error {
  if (StoreError.isInstance(e))
    return new StoreFailedError(`${typeName}: ${e.message} [${e.code}]`, e.code, e);
  // Our own and net/'s errors already carry a code: they go on as they are. A thrown non-Error gets one.
  return e instanceof Error
    ? e
    : new ProviderError("STORE_FAILED", `${typeName}: the store failed: ${String(e)}`, { cause: e });
}
