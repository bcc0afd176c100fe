/**
 * `pulumi-sms-channels-store records list|delete`: the records of a sandbox, and the way out when a
 * stack can no longer delete its own (a webhook taken out of the stack with `pulumi state delete`
 * after its Twilio account was closed keeps its credential "in use" in the store until it goes).
 * A delete goes through the store's rules like any other: a record still referred to is IN_USE, and
 * the audit log names the actor "cli".
 */
import { CoreStore } from "../core";
import type { Keyring } from "../crypto";
import { RECORD_KINDS, type RecordKind, type StoredRecord } from "../types";
import { openServiceDatabase } from "./database";

export interface RecordsCommand {
  readonly sub: "list" | "delete";
  readonly database: string;
  readonly sandbox: string;
  /** list: every kind when absent; delete: required. */
  readonly kind?: RecordKind;
  readonly id?: string;
  readonly json: boolean;
  /** delete: also a record a stack still names as its owner. */
  readonly force: boolean;
}

export function isRecordKind(text: string): text is RecordKind {
  return (RECORD_KINDS as readonly string[]).includes(text);
}

function describe(r: StoredRecord): string {
  return `${r.id}  ${r.kind}  ${JSON.stringify(r.name)}  v${r.version}  updated ${r.updatedAt}  ${
    r.ownerUrn ? `owner ${r.ownerUrn}` : "no owner"
  }`;
}

/** An attached webhook's Messaging Service, which its deletion leaves calling a webhook that is gone. */
function attachmentNote(r: StoredRecord): string {
  const service = r.data["attachedServiceSid"];
  if (typeof service !== "string") return "";
  const before = r.data["previousServiceUrl"];
  return ` It is attached to Messaging Service ${service}, which calls it until its URL is put back${
    typeof before === "string" && before !== "" ? ` (it was ${before})` : ""
  }.`;
}

export async function records(
  c: RecordsCommand,
  keyring: Keyring,
  stdout: (text: string) => void,
  stderr: (text: string) => void,
): Promise<number> {
  const db = await openServiceDatabase(c.database);
  try {
    const store = await CoreStore.open(db.backend, keyring);
    switch (c.sub) {
      case "list": {
        const all: StoredRecord[] = [];
        for (const kind of c.kind ? [c.kind] : RECORD_KINDS) all.push(...(await store.list(c.sandbox, kind)));
        // Plain data only: a StoredRecord never holds a secret, just its fingerprint.
        stdout(c.json ? JSON.stringify(all) + "\n" : all.map((r) => describe(r) + "\n").join(""));
        return 0;
      }
      case "delete": {
        const kind = c.kind as RecordKind;
        const id = c.id as string;
        const record = await store.get(c.sandbox, kind, id);
        if (!record) {
          stderr(`no ${kind} ${id} in sandbox "${c.sandbox}"\n`);
          return 1;
        }
        // A record a stack owns is that stack's to delete: deleted here, the stack's next refresh
        // forgets it, and an attached webhook's Messaging Service keeps calling a webhook that is gone
        // (its earlier URL then lost for good). Only once the stack no longer holds it (pulumi state
        // delete) is this the way out, and the caller says so with --force.
        if (record.ownerUrn && !c.force) {
          stderr(
            `${kind} ${id} is held by ${record.ownerUrn}: remove it from that stack (delete it from the program, then pulumi up; or pulumi destroy). If that stack no longer holds it (pulumi state delete), add --force.${attachmentNote(record)}\n`,
          );
          return 1;
        }
        const result = await store.delete(c.sandbox, kind, id, { actor: "cli" });
        if (result === "absent") {
          stderr(`no ${kind} ${id} in sandbox "${c.sandbox}"\n`);
          return 1;
        }
        stdout(`deleted ${kind} ${id} from sandbox "${c.sandbox}"\n`);
        return 0;
      }
    }
  } finally {
    await db.backend.close();
  }
}
