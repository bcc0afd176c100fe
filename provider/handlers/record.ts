import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { StoreError } from "../../store/errors";
import { canonicalJson, legacyFingerprint } from "../../store/crypto";
import type { CredentialType, RecordKind, RecordRef, SecretPayload, StoredRecord } from "../../store/types";
import { containsUnknown, parseInputs, type CheckFailure } from "../schema/check";
import type { ValidationMode } from "../schema/common";
import {
  anyUnknown,
  CHANGED_OUTSIDE,
  compact,
  createOrAdopt,
  diffFields,
  InputError,
  pick,
  storeFailure,
} from "./common";
import type { ContextHandlers, Inputs } from "./common";
import type { ProviderContext } from "./context";
import { warn } from "./log";
import { nameTakenFailures, referenceSandboxFailures, scopesNeeded, tokenFailures } from "./preflight";
import { DEFAULT_SANDBOX } from "../../contract/defaults";
import type { RecordOutputs } from "../resources/outputs";
import { StoreFailedError } from "../errors";

/**
 * The output holding the random id of the resource instance that holds its record: written into the
 * record at create and at adoption, so a pending delete (or a refresh of one) can tell a record a
 * newer instance took over from one edited by someone else.
 */
export const OWNER_INSTANCE = "ownerInstance";

/**
 * The record now carries another instance's mark than the state's. State without a mark (written
 * before marks) is taken over only by a marked record: its own instance never wrote a mark, and a
 * record without one was last written before marks, by this instance or by hand.
 */
function takenOver(record: StoredRecord, props: Inputs): boolean {
  const mine = props[OWNER_INSTANCE];
  // Only state this provider wrote (it has a version): an import's `read` has no instance yet.
  if (props["recordVersion"] === undefined) return false;
  return record.ownerInstance !== undefined && record.ownerInstance !== mine;
}

/** The inputs every record resource has (see schema/common.ts). */
export interface BaseInputs {
  sandbox: string;
  name: string;
  ownerUrn?: string | undefined;
  validation?: ValidationMode | undefined;
}

/** What a resource writes, worked out before the store write (validation, sample messages). */
export interface Prepared {
  readonly data: Inputs;
  readonly refs?: readonly RecordRef[];
  /** Outputs that come from this write only (a message SID). */
  readonly outputs?: Inputs;
}

/** A list of fields named by key: a field that is not there does not compile. */
export type Keys<T> = ReadonlyArray<keyof T & string>;

/**
 * A resource's state, as its handler writes it: the outputs of provider/resources/outputs.ts (the
 * same declaration its class is checked against), plus the inputs it keeps for diff and read.
 */
export type State<V, O> = O & Omit<V, keyof O>;
/** What `outputs` and `readProps` return: any of the state's fields, each of its type. */
export type StateProps<V, O> = Partial<State<V, O>>;

export interface RecordResourceSpec<V extends BaseInputs, O extends RecordOutputs> {
  readonly type: string;
  readonly kind: RecordKind;
  readonly credentialType?: CredentialType;
  /**
   * The input schema. A function, so that each resource module requires its schema (and zod, ~100
   * modules) on the first check or write: a destroy or a refresh never parses inputs (issue 13).
   */
  schema(): z.ZodType<V>;
  /** Fields whose unknown value makes cross-field rules undecidable in preview. */
  readonly crossFieldGuard?: Keys<V>;
  /** Inputs kept in outputs, so diff and read can compare them. */
  readonly plainFields: Keys<V>;
  /** Inputs kept only encrypted in the store; their fingerprint stands for them in state. */
  readonly secretFields?: Keys<V>;
  /** The secret payload made from those fields, when it is not simply the fields themselves. */
  secretPayload?(fields: Inputs): SecretPayload | undefined;
  /** Fields that must all be known before `checkKnown` can ask Twilio or the store. */
  readonly checkNeeds?: Keys<V>;
  /**
   * Why this resource reads its credential's secret from the store (the store token then needs the
   * `runtime` scope), or undefined when it does not.
   */
  readsSecrets?(ctx: ProviderContext, v: V): string | undefined;
  /** Checks of the raw inputs that depend on the provider's settings (known values only; run in preview). */
  checkSettings?(ctx: ProviderContext, news: Inputs): CheckFailure[];
  /** Checks that need other systems (Twilio, the store), run once the values are known. */
  checkKnown?(ctx: ProviderContext, v: V): Promise<CheckFailure[]>;
  prepare(
    ctx: ProviderContext,
    v: V,
    phase: "create" | "update",
    olds: Inputs | undefined,
  ): Promise<Prepared>;
  /** Outputs computed from the stored record (beyond the plain inputs and the common ones). */
  outputs?(ctx: ProviderContext, v: V, record: StoredRecord): StateProps<V, O>;
  /** Refreshed outputs from the stored record. */
  readProps(ctx: ProviderContext, record: StoredRecord): StateProps<V, O>;
  /** Side effects after the record is written (attach a webhook); may add outputs. Undone by `beforeDelete`. */
  afterWrite?(
    ctx: ProviderContext,
    v: V,
    record: StoredRecord,
    phase: "create" | "update",
    olds: Inputs | undefined,
  ): Promise<Inputs | void>;
  /**
   * Undoes `afterWrite`'s side effects (detach a webhook) before the record is deleted, so a failure
   * leaves both in place and the delete can simply be retried. Must do nothing when there is nothing
   * left to undo: a retry after a crash between it and the store delete runs it again.
   */
  beforeDelete?(ctx: ProviderContext, props: Inputs): Promise<void>;
}

/**
 * Check/diff/create/read/update/delete for a resource kept as one store record. The resource
 * modules only say what is particular to them; the contract's common behaviour lives here once.
 */
export function recordHandlers<V extends BaseInputs, O extends RecordOutputs>(
  spec: RecordResourceSpec<V, O>,
): ContextHandlers {
  const secretOf = (v: Inputs): SecretPayload | undefined => {
    if (!spec.secretFields) return undefined;
    const s = pick(v, spec.secretFields);
    if (Object.keys(s).length === 0) return undefined;
    return spec.secretPayload ? spec.secretPayload(s) : s;
  };
  const parseOrThrow = (inputs: Inputs): V => {
    const parsed = parseInputs(spec.schema(), inputs, spec.crossFieldGuard);
    if (parsed.failures.length > 0 || !parsed.value) throw new InputError(spec.type, parsed.failures);
    return parsed.value;
  };
  const outputsOf = (ctx: ProviderContext, v: V, record: StoredRecord, extra: Inputs | void): Inputs =>
    compact({
      ...pick(v as unknown as Inputs, spec.plainFields),
      ...(v.ownerUrn ? { ownerUrn: v.ownerUrn } : {}),
      ...(record.ownerInstance ? { [OWNER_INSTANCE]: record.ownerInstance } : {}),
      ...(spec.credentialType ? { credentialType: spec.credentialType } : {}),
      ...spec.outputs?.(ctx, v, record),
      ...(record.secretFingerprint ? { secretFingerprint: record.secretFingerprint } : {}),
      recordId: record.id,
      recordVersion: record.version,
      ...(extra ?? {}),
    });

  return {
    async check(ctx, olds, news) {
      const parsed = parseInputs(spec.schema(), news, spec.crossFieldGuard);
      const failures = [
        ...parsed.failures,
        ...referenceSandboxFailures(spec.type, news),
        ...(spec.checkSettings?.(ctx, news) ?? []),
      ];
      if (failures.length === 0 && parsed.value) {
        const why = spec.readsSecrets?.(ctx, parsed.value);
        failures.push(
          ...(await tokenFailures(
            ctx,
            spec.type,
            news,
            scopesNeeded(why !== undefined),
            why ?? "it writes its record",
          )),
        );
        if (failures.length === 0) failures.push(...(await nameTakenFailures(ctx, spec.kind, news, olds)));
      }
      if (
        failures.length === 0 &&
        parsed.value &&
        spec.checkKnown &&
        !anyUnknown(news, spec.checkNeeds ?? [])
      ) {
        failures.push(...(await spec.checkKnown(ctx, parsed.value)));
      }
      return { inputs: news, failures };
    },

    async diff(ctx, _id, olds, rawNews) {
      // Compare with the defaults applied, as the outputs were written (`executionField` and the like).
      const news = {
        ...rawNews,
        ...(parseInputs(spec.schema(), rawNews, spec.crossFieldGuard).value as Inputs | undefined),
      };
      let fingerprint: string | undefined | "unknown";
      if (spec.secretFields) {
        const raw = pick(news, spec.secretFields);
        const payload = containsUnknown(raw) ? undefined : secretOf(news);
        fingerprint = containsUnknown(raw)
          ? "unknown"
          : payload
            ? await comparableFingerprint(ctx, spec.kind, olds, String(news["sandbox"] ?? "prod"), payload)
            : undefined;
      }
      return diffFields(olds, news, spec.plainFields, fingerprint);
    },

    async create(ctx, inputs) {
      const v = parseOrThrow(inputs);
      const store = await ctx.store();
      const prepared = await spec.prepare(ctx, v, "create", undefined);
      const secret = secretOf(v as unknown as Inputs);
      // This instance's mark, on the record it creates or adopts (see `delete`).
      const ownerInstance = randomUUID();
      const record = await createOrAdopt(
        spec.type,
        v.ownerUrn,
        () =>
          store.create(
            {
              sandbox: v.sandbox,
              kind: spec.kind,
              name: v.name,
              ...(spec.credentialType ? { credentialType: spec.credentialType } : {}),
              data: prepared.data,
              ...(prepared.refs ? { refs: prepared.refs } : {}),
              ...(secret ? { secret } : {}),
              ...(v.ownerUrn ? { ownerUrn: v.ownerUrn } : {}),
              ownerInstance,
            },
            { actor: ctx.actor },
          ),
        () => store.findByName(v.sandbox, spec.kind, v.name),
        (existing) =>
          store.update(
            v.sandbox,
            spec.kind,
            existing.id,
            existing.version,
            {
              data: prepared.data,
              ...(prepared.refs ? { refs: prepared.refs } : {}),
              ...(secret ? { secret } : {}),
              ownerInstance,
            },
            { actor: ctx.actor },
          ),
      );
      const extra = spec.afterWrite
        ? await undoOnFailure(
            spec.afterWrite(ctx, v, record, "create", undefined),
            // No version: this create's own side effect (the attach) may have written it again.
            () => store.delete(v.sandbox, spec.kind, record.id, { actor: ctx.actor }),
            `${spec.kind} "${v.name}" (id ${record.id}) in sandbox "${v.sandbox}"`,
          )
        : undefined;
      return { id: record.id, outs: outputsOf(ctx, v, record, { ...prepared.outputs, ...(extra ?? {}) }) };
    },

    async read(ctx, id, props) {
      const store = await ctx.store();
      const record = await store
        .get(String(props["sandbox"] ?? DEFAULT_SANDBOX), spec.kind, id)
        .catch((e: unknown) => {
          throw storeFailure(spec.type, e);
        });
      // Deleted outside Pulumi: an empty id tells the engine the resource is gone.
      if (!record) return { id: "", props: {} };
      // Taken over by a newer instance of this resource (a replacement that adopted it): for this
      // instance (a pending delete) it is gone, so a refresh drops it instead of handing it the live
      // record's version, with which its delete would then remove the live record.
      if (takenOver(record, props)) return { id: "", props: {} };
      return {
        id,
        props: compact({
          ...props,
          ...(record.version !== props["recordVersion"] ? { [CHANGED_OUTSIDE]: true } : {}),
          name: record.name,
          ...spec.readProps(ctx, record),
          ...(record.secretFingerprint ? { secretFingerprint: record.secretFingerprint } : {}),
          recordId: record.id,
          recordVersion: record.version,
        }),
      };
    },

    async update(ctx, id, olds, news) {
      const v = parseOrThrow(news);
      const store = await ctx.store();
      const prepared = await spec.prepare(ctx, v, "update", olds);
      const secret = secretOf(v as unknown as Inputs);
      const record = await store
        .update(
          v.sandbox,
          spec.kind,
          id,
          Number(olds["recordVersion"]),
          {
            name: v.name,
            // State written before instance marks gets one now; the record's own mark stays otherwise.
            ...(typeof olds[OWNER_INSTANCE] === "string" ? {} : { ownerInstance: randomUUID() }),
            data: prepared.data,
            ...(prepared.refs ? { refs: prepared.refs } : {}),
            ...(secret &&
            (await comparableFingerprint(ctx, spec.kind, olds, v.sandbox, secret)) !==
              olds["secretFingerprint"]
              ? { secret }
              : {}),
          },
          { actor: ctx.actor },
        )
        .catch((e: unknown) => {
          throw storeFailure(spec.type, e);
        });
      const extra = spec.afterWrite ? await spec.afterWrite(ctx, v, record, "update", olds) : undefined;
      return { outs: outputsOf(ctx, v, record, { ...prepared.outputs, ...(extra ?? {}) }) };
    },

    async delete(ctx, id, props) {
      const store = await ctx.store();
      const sandbox = String(props["sandbox"] ?? DEFAULT_SANDBOX);
      const seen = Number(props["recordVersion"]);
      // State written before versions were kept deletes as before.
      const expectedVersion = Number.isInteger(seen) && seen >= 1 ? seen : undefined;
      if (spec.beforeDelete) {
        // The side effects go first: undone after the record, a failure (Twilio down) left the
        // service calling a webhook the receiver no longer knew, until a retry. Only when the delete
        // below will go ahead: a record taken over by a newer instance is that one's (its service
        // must keep calling it), and one changed outside Pulumi is refused for the conflict, which
        // must leave the webhook working. Someone may still change the record between this read and
        // the delete: the delete is then refused with the side effects undone, and the retry the
        // error asks for converges (the undo finds nothing left to do), as after a crash between the
        // two. A record gone already is undone all the same: nothing else will put the service back.
        const current = await store.get(sandbox, spec.kind, id).catch((e: unknown) => {
          throw storeFailure(spec.type, e);
        });
        const goesAhead =
          !current ||
          (!takenOver(current, props) &&
            (expectedVersion === undefined || current.version === expectedVersion));
        if (goesAhead) await spec.beforeDelete(ctx, props);
      }
      try {
        await store.delete(sandbox, spec.kind, id, {
          actor: ctx.actor,
          ...(expectedVersion !== undefined ? { expectedVersion } : {}),
        });
      } catch (e) {
        if (!StoreError.is(e, "CONFLICT")) throw storeFailure(spec.type, e);
        const current = await store.get(sandbox, spec.kind, id).catch(() => undefined);
        // Gone meanwhile: nothing left to delete.
        if (!current) return;
        if (takenOver(current, props)) {
          // A newer instance of this resource took the record over (a replacement that adopted it
          // after a failed up): not this instance's to delete. Left alone, so a pending delete can
          // never remove the live record.
          warn(
            `${spec.type} ${String(props["name"] ?? id)}: record ${id} now belongs to a newer instance of ${String(props["ownerUrn"] ?? "this resource")}; this one's delete leaves it in place`,
          );
          return;
        }
        // Still this instance's, edited by someone else since: deleting would drop that edit unseen.
        throw new StoreFailedError(
          `${spec.type} ${String(props["name"] ?? id)}: ${spec.kind} "${current.name}" (id ${id}) in sandbox "${sandbox}" was changed outside Pulumi since this stack last saw it (version ${seen} expected, ${current.version} found), so it was not deleted. Run \`pulumi refresh\` to take that change into the state, then run the delete (\`pulumi destroy\` or \`pulumi up\`) again [CONFLICT]`,
          "CONFLICT",
          e,
        );
      }
    },
  };
}

/**
 * The fingerprint to compare with state's `secretFingerprint`. State written before the keyed
 * fingerprint holds the unsalted one: when that still matches, the secret is unchanged (no spurious
 * diff) and the next refresh or write brings the keyed one. Otherwise the store computes the keyed
 * one: only it holds the fingerprint key (the service: write scope, rate limited).
 */
async function comparableFingerprint(
  ctx: ProviderContext,
  kind: RecordKind,
  olds: Inputs,
  sandbox: string,
  secret: SecretPayload,
): Promise<string> {
  const legacy = legacyFingerprint(secret);
  const stated = olds["secretFingerprint"];
  if (legacy === stated) return legacy;
  // Naming state's fingerprint: the service does not count an unchanged secret as a guess.
  return (await ctx.store()).fingerprint(
    sandbox,
    kind,
    secret,
    typeof stated === "string" ? stated : undefined,
  );
}

/**
 * Runs a side effect after a write; when it fails, undoes the write so nothing is half-done. When
 * the undo fails too, says what is left behind (the side effect's error is the one thrown).
 */
export async function undoOnFailure<T>(
  work: Promise<T>,
  undo: () => Promise<unknown>,
  what: string,
): Promise<T> {
  try {
    return await work;
  } catch (e) {
    await undo().catch((undoError: unknown) => {
      const reason = StoreError.isInstance(undoError)
        ? `${undoError.code}: ${undoError.message}`
        : undoError instanceof Error
          ? undoError.name
          : "unknown error";
      warn(
        `could not undo a failed create: ${what} is left in the store (${reason}); delete it, or run \`pulumi up\` again to adopt it`,
      );
    });
    throw e;
  }
}

/** A value that is the same in outputs whether it came from inputs or from the store. */
export function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}
