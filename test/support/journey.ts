/**
 * A user's whole journey with one stack holding every resource (fixtures/journey), on one store:
 * create; change each updatable input in place; rotate each secret; rename; change `sandbox` with
 * and without referrers; undo each; a record deleted out of band, then refresh and up; a failed up
 * halfway, then a fixed up; destroy. Each step is a config change and a real `pulumi up` of the
 * packed package, and ends with `agree`: the state (`pulumi stack export`) and the store (records,
 * versions, refs) say the same, and a preview plans nothing.
 */
import { canonicalJson } from "../../store/crypto";
import type { CoreStore } from "../../store/core";
import type { RecordKind, StoredRecord } from "../../store/types";
import { TwilioEmulator } from "../twilio-emulator";
import {
  changes,
  diagnostics,
  errors,
  expectFailure,
  expectNoChanges,
  expectSuccess,
  stepOf,
  type RunResult,
  TestStack,
} from "./pulumi";

/** Where the journey's records live, and how the test reads them behind the provider's back. */
export interface JourneyStore {
  /** Stack config and secrets that point the provider at this store. */
  readonly config: Record<string, string>;
  readonly secrets: Record<string, string>;
  /** The store itself (not through Pulumi), opened for one look and closed again. */
  open(): Promise<CoreStore>;
  /** The database the store keeps (file or postgres:// URL) and its key: what a receiver opens. */
  readonly database: string;
  readonly key: string;
  /** A store token of this sandbox and these scopes (the service only). */
  token?(sandbox: string, ...scopes: string[]): string;
  /** Stops and starts the store (the service); undefined for the embedded store. */
  readonly outage?: { stop(): Promise<void>; start(): Promise<void> };
}

const TYPE_PREFIX = "pulumi-nodejs:dynamic/smschannels:";
const KIND_OF: Record<string, RecordKind> = {
  SmsApiCredential: "api-credential",
  CustomRcsCredential: "api-credential",
  SmsWebhook: "webhook",
  ChannelConfiguration: "channel-configuration",
};
/** Outputs that the store keeps in `data`, per resource type: they must agree. */
const DATA_FIELDS: Record<string, readonly string[]> = {
  SmsApiCredential: ["accountSid", "messagingServiceSid", "inboundNumber"],
  CustomRcsCredential: ["providerName", "providerUrl", "payloadTemplate"],
  SmsWebhook: ["type", "apiCredentialId", "defaultReply", "senderNumber"],
  ChannelConfiguration: ["description", "channel", "messageType", "apiCredentialId", "senderNumber"],
};
const SANDBOXES = ["prod", "staging"];
const KINDS: readonly RecordKind[] = ["api-credential", "webhook", "channel-configuration"];

interface StateEntry {
  readonly urn: string;
  readonly type: string;
  readonly id?: string;
  readonly delete?: boolean;
  readonly outputs?: Record<string, unknown>;
}

export interface Spec {
  cred: Record<string, unknown>;
  rcs: Record<string, unknown>;
  hook: Record<string, unknown>;
  chan: Record<string, unknown>;
  /** The webhook has a `twilioAuthToken` of its own (secrets.hookToken). */
  hookToken?: boolean;
  /** A custom vendor's webhook on `rcs`, verified with HMAC-SHA256 (secrets.vendorSecret). */
  vendorHook?: Record<string, unknown>;
}
export interface Secrets {
  authToken: string;
  rcsToken: string;
  hookToken?: string;
  vendorSecret?: string;
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/** Every record of the store, in the sandboxes the journey uses. */
async function allRecords(store: JourneyStore): Promise<StoredRecord[]> {
  const s = await store.open();
  try {
    const out: StoredRecord[] = [];
    for (const sandbox of SANDBOXES) for (const kind of KINDS) out.push(...(await s.list(sandbox, kind)));
    return out;
  } finally {
    await s.close();
  }
}

/**
 * State and store agree: no pending delete or operation is left; each resource names a record of
 * its sandbox and kind at the version, name, fingerprint, refs and data its outputs say; and the
 * store holds no record that no resource names.
 */
export async function agree(stack: TestStack, store: JourneyStore): Promise<void> {
  const exported = JSON.parse(await stack.exportText()) as {
    deployment: { resources?: StateEntry[]; pending_operations?: unknown[] };
  };
  const problems: string[] = [];
  const pending = exported.deployment.pending_operations ?? [];
  if (pending.length > 0) problems.push(`pending operations: ${JSON.stringify(pending)}`);
  const ours = (exported.deployment.resources ?? []).filter((r) => r.type.startsWith(TYPE_PREFIX));
  for (const r of ours.filter((r) => r.delete))
    problems.push(`pending delete left in state: ${r.urn} ${r.id}`);
  const live = ours.filter((r) => !r.delete);
  const records = await allRecords(store);
  const byId = new Map(records.map((r) => [r.id, r]));
  for (const r of live) {
    const type = r.type.slice(TYPE_PREFIX.length);
    const o = r.outputs ?? {};
    const rec = r.id ? byId.get(r.id) : undefined;
    const name = r.urn.split("::").pop();
    if (!rec) {
      problems.push(`${name}: state names ${r.id}, which the store does not hold`);
      continue;
    }
    const expect = {
      sandbox: [rec.sandbox, o["sandbox"]],
      kind: [rec.kind, KIND_OF[type]],
      name: [rec.name, o["name"]],
      version: [rec.version, o["recordVersion"]],
      secretFingerprint: [rec.secretFingerprint, o["secretFingerprint"]],
      ownerUrn: [rec.ownerUrn, r.urn],
      // The instance that holds the record: what a pending delete tells a takeover by.
      ownerInstance: [rec.ownerInstance, o["ownerInstance"]],
    };
    for (const [field, [inStore, inState]] of Object.entries(expect)) {
      if (!same(inStore, inState))
        problems.push(
          `${name}: ${field} is ${JSON.stringify(inStore)} in the store, ${JSON.stringify(inState)} in state`,
        );
    }
    for (const field of DATA_FIELDS[type] ?? []) {
      if (!same(rec.data[field], o[field]))
        problems.push(
          `${name}: ${field} is ${JSON.stringify(rec.data[field])} in the store, ${JSON.stringify(o[field])} in state`,
        );
    }
    const refs =
      type === "SmsWebhook"
        ? [{ kind: "api-credential", id: o["apiCredentialId"] }]
        : type === "ChannelConfiguration"
          ? [
              { kind: "api-credential", id: o["apiCredentialId"] },
              ...((o["webhookIds"] as string[] | undefined) ?? []).map((id) => ({ kind: "webhook", id })),
            ]
          : [];
    if (!same(rec.refs, refs))
      problems.push(
        `${name}: refs are ${JSON.stringify(rec.refs)} in the store, ${JSON.stringify(refs)} in state`,
      );
  }
  const named = new Set(live.map((r) => r.id));
  for (const rec of records)
    if (!named.has(rec.id))
      problems.push(
        `store holds ${rec.kind} "${rec.name}" ${rec.id} (${rec.sandbox}) that no resource names`,
      );
  if (problems.length > 0) throw new Error(`state and store disagree:\n  ${problems.join("\n  ")}`);
}

/** Ends a step: state and store agree, and a preview plans nothing. */
export async function settled(stack: TestStack, store: JourneyStore): Promise<void> {
  await agree(stack, store);
  expectNoChanges(await stack.preview());
}

/** Fails unless each named resource had exactly this operation (and, where given, these changed inputs). */
export function expectSteps(
  r: RunResult,
  expected: Record<string, { op: string; diffs?: readonly string[] }>,
): void {
  const got: Record<string, { op: string; diffs: string[] }> = {};
  const want: Record<string, { op: string; diffs: string[] }> = {};
  for (const [name, e] of Object.entries(expected)) {
    const step = stepOf(r, name);
    const diffs = [...(step?.diffs ?? [])].sort();
    got[name] = { op: step?.op ?? "(none)", diffs: e.diffs ? diffs : [] };
    want[name] = { op: e.op, diffs: e.diffs ? [...e.diffs].sort() : [] };
  }
  if (!same(got, want))
    throw new Error(`steps: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}\n${r.output}`);
}

export { changes, diagnostics, errors, expectFailure, expectSuccess };

/** The journey's world: the Twilio emulator with one account, and the stack's starting spec. */
export interface World {
  readonly emu: TwilioEmulator;
  readonly accountSid: string;
  readonly number: string;
  readonly services: readonly [string, string];
  spec: Spec;
  secrets: Secrets;
}

export async function startWorld(): Promise<World> {
  const emu = await TwilioEmulator.start();
  const a = emu.addAccount({ friendlyName: "Journey" });
  const number = emu.addIncomingNumber(a.sid, "+14155550142").phoneNumber;
  // An inbound URL set before the journey: what detaching the webhook must put back.
  const one = emu.addService(a.sid, {
    phoneNumbers: [number],
    inboundRequestUrl: "https://before.example.com/in",
  }).sid;
  // The second service has no number: the channel's sender stays the credential's inbound number.
  const two = emu.addService(a.sid, { friendlyName: "Second" }).sid;
  return {
    emu,
    accountSid: a.sid,
    number,
    services: [one, two],
    spec: {
      cred: { accountSid: a.sid, messagingServiceSid: one, inboundNumber: number },
      rcs: {
        providerName: "acme",
        providerUrl: "https://rcs.example.com/v1/send",
        payloadTemplate: JSON.stringify({ to: "{{toNumber}}", from: "{{fromNumber}}", text: "{{message}}" }),
        validation: "off",
      },
      hook: { type: "inbound", defaultReply: "Thanks" },
      chan: { channel: "sms", messageType: "transactional", senderNumber: number, description: "Alerts" },
    },
    secrets: { authToken: a.authToken, rcsToken: "r".repeat(8) + Math.random().toString(36).slice(2) },
  };
}

/** Writes the spec and secrets into the stack's config. */
export async function configure(stack: TestStack, world: World): Promise<void> {
  await stack.setConfig("test:spec", JSON.stringify(world.spec));
  await stack.setConfig("test:secrets", JSON.stringify(world.secrets), true);
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
