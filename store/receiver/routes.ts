import type { StoreBackend } from "../backend";
import { StoreError } from "../errors";
import { checkSandbox } from "../rules";
import { requireScope } from "../server/auth";
import type { Route } from "../server/routes";
import type { ReceiverLedger } from "./ledger";
import { ledgerFor } from "./open";
import { E164 } from "../../contract/formats";

/**
 * The receiver's ledger, read on the private store service (scope `read`): a number's consents,
 * and a message's status with its events. Listed before the record routes, whose patterns would
 * otherwise take `/consents` and `/messages/...` for record collections.
 */
const ledgers = new WeakMap<StoreBackend, ReceiverLedger>();
function ledgerOf(backend: StoreBackend): ReceiverLedger {
  let l = ledgers.get(backend);
  if (!l) ledgers.set(backend, (l = ledgerFor(backend)));
  return l;
}

function sandboxOf(raw: string | undefined): string {
  let sandbox: string;
  try {
    sandbox = decodeURIComponent(raw ?? "");
  } catch {
    throw new StoreError("INVALID_INPUT", "sandbox: not a valid path segment", "sandbox");
  }
  checkSandbox(sandbox);
  return sandbox;
}

export const RECEIVER_ROUTES: readonly Route[] = [
  {
    method: "GET",
    name: "consents",
    query: ["number"],
    pattern: /^\/v1\/sandboxes\/([^/]+)\/consents$/,
    async handle({ match, query, token, store }) {
      const sandbox = sandboxOf(match[1]);
      requireScope(token, sandbox, "read");
      const number = query.get("number") ?? undefined;
      if (number !== undefined && !E164.test(number)) {
        // A bare "+" in a query string is a space: "?number=+1415…" arrives as " 1415…".
        const hint = /^ \d/.test(number)
          ? ' (write the "+" as %2B in a query string: ?number=%2B14155550100)'
          : "";
        throw new StoreError("INVALID_INPUT", `number: an E.164 number, e.g. +14155550100${hint}`, "number");
      }
      return { status: 200, body: { items: await ledgerOf(store.backend).consents(sandbox, number) } };
    },
  },
  {
    method: "GET",
    name: "message",
    pattern: /^\/v1\/sandboxes\/([^/]+)\/messages\/([^/]+)$/,
    async handle({ match, token, store }) {
      const sandbox = sandboxOf(match[1]);
      requireScope(token, sandbox, "read");
      let messageId: string;
      try {
        messageId = decodeURIComponent(match[2] ?? "");
      } catch {
        throw new StoreError("INVALID_INPUT", "messageId: not a valid path segment", "messageId");
      }
      const view = await ledgerOf(store.backend).message(sandbox, messageId);
      if (!view) {
        throw new StoreError(
          "NOT_FOUND",
          `no delivery events for message ${messageId} in sandbox "${sandbox}"`,
          undefined,
          { id: messageId },
        );
      }
      return { status: 200, body: view };
    },
  },
];
