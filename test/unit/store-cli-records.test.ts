/**
 * `pulumi-sms-channels-store records list|delete` on an embedded store (its key file beside it): the
 * way out when a stack took a webhook out with `pulumi state delete` (its Twilio account closed) and
 * the record left behind keeps its credential "in use".
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openEmbeddedStore } from "../../store/embedded";
import { runCli, type CliIo } from "../../store/server/cli";
import { twilioCredential, webhook } from "../support/store-contract";

let dir: string;
let db: string;
let credentialId: string;
let webhookId: string;
const secret = "records-cli-test-secret-0001";

function io(env: NodeJS.ProcessEnv = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), env };
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-cli-records-"));
  db = path.join(dir, "store.db");
  const store = await openEmbeddedStore({ path: db });
  try {
    const actor = { actor: "records-cli-test" };
    credentialId = (await store.create(twilioCredential("prod", "twilio-sms", secret), actor)).id;
    webhookId = (await store.create(webhook("prod", "inbound", credentialId), actor)).id;
  } finally {
    await store.close();
  }
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("list shows a sandbox's records, never a secret; --kind narrows it", async () => {
  const all = io();
  expect(await runCli(["records", "list", "--database", db, "--sandbox", "prod"], all)).toBe(0);
  const lines = all.out.join("").trim().split("\n");
  expect(lines).toHaveLength(2);
  expect(lines.find((l) => l.startsWith(credentialId))).toContain('api-credential  "twilio-sms"  v1');
  expect(lines.find((l) => l.startsWith(webhookId))).toContain('webhook  "inbound"  v1');
  expect(all.out.join("")).not.toContain(secret);

  const hooks = io();
  expect(
    await runCli(
      ["records", "list", "--database", db, "--sandbox", "prod", "--kind", "webhook", "--json"],
      hooks,
    ),
  ).toBe(0);
  const listed = JSON.parse(hooks.out.join("")) as { id: string }[];
  expect(listed.map((r) => r.id)).toEqual([webhookId]);

  const other = io();
  expect(await runCli(["records", "list", "--database", db, "--sandbox", "staging"], other)).toBe(0);
  expect(other.out.join("")).toBe("");
});

test("delete goes through the store's rules: a credential in use is refused, the webhook then the credential go", async () => {
  const refused = io();
  const del = (kind: string, id: string, out = io()) =>
    runCli(["records", "delete", "--database", db, "--sandbox", "prod", "--kind", kind, id], out);
  expect(await del("api-credential", credentialId, refused)).toBe(1);
  expect(refused.err.join("")).toMatch(/^error: IN_USE: .*webhook/);

  const hook = io();
  expect(await del("webhook", webhookId, hook)).toBe(0);
  expect(hook.out.join("")).toBe(`deleted webhook ${webhookId} from sandbox "prod"\n`);
  expect(await del("api-credential", credentialId)).toBe(0);

  const again = io();
  expect(await del("webhook", webhookId, again)).toBe(1);
  expect(again.err.join("")).toBe(`no webhook ${webhookId} in sandbox "prod"\n`);

  const store = await openEmbeddedStore({ path: db });
  try {
    expect(await store.get("prod", "webhook", webhookId)).toBeUndefined();
  } finally {
    await store.close();
  }
});

test("a record a stack owns needs --force, and an attached webhook's service is named", async () => {
  const store = await openEmbeddedStore({ path: db });
  let owned: string;
  const urn = "urn:pulumi:dev::quickstart::pulumi-nodejs:dynamic/smschannels:SmsWebhook::fb";
  try {
    const input = webhook("prod", "feedback", credentialId);
    owned = (
      await store.create(
        {
          ...input,
          data: {
            ...input.data,
            attachedServiceSid: `MG${"a".repeat(32)}`,
            previousServiceUrl: "https://example.com/orig",
          },
          ownerUrn: urn,
        },
        { actor: "records-cli-test" },
      )
    ).id;
  } finally {
    await store.close();
  }
  const argv = ["records", "delete", "--database", db, "--sandbox", "prod", "--kind", "webhook", owned];
  const refused = io();
  expect(await runCli(argv, refused)).toBe(1);
  const said = refused.err.join("");
  expect(said).toContain(`webhook ${owned} is held by ${urn}`);
  expect(said).toContain("add --force");
  expect(said).toContain(`attached to Messaging Service MG${"a".repeat(32)}`);
  expect(said).toContain("(it was https://example.com/orig)");
  const forced = io();
  expect(await runCli([...argv, "--force"], forced)).toBe(0);
  expect(forced.out.join("")).toBe(`deleted webhook ${owned} from sandbox "prod"\n`);
});

test("a --database file that does not exist is refused, not made", async () => {
  const typo = path.join(dir, "stroe.db");
  const out = io();
  expect(await runCli(["records", "list", "--database", typo, "--sandbox", "prod"], out)).toBe(2);
  expect(out.err.join("")).toContain(`records: --database ${typo} does not exist`);
  expect(fs.existsSync(typo)).toBe(false);
});

test("wrong usage exits 2 naming what is wrong", async () => {
  const cases: [string[], RegExp][] = [
    [["records", "remove"], /records: list or delete, got "remove"/],
    [
      ["records", "list", "--database", db, "--sandbox", "prod", "--kind", "webhooks"],
      /--kind is api-credential/,
    ],
    [
      ["records", "delete", "--database", db, "--sandbox", "prod", webhookId],
      /--kind <kind> and one record id/,
    ],
    [["records", "list", "--database", db, "--kind", "webhook"], /--sandbox <name> is required/],
  ];
  for (const [argv, says] of cases) {
    const out = io();
    expect(await runCli(argv, out)).toBe(2);
    expect(out.err.join("")).toMatch(says);
  }
  // A store copied without the key file beside it, and no key in the environment: said.
  const bare = io();
  const elsewhere = path.join(dir, "other.db");
  fs.copyFileSync(db, elsewhere);
  expect(await runCli(["records", "list", "--database", elsewhere, "--sandbox", "prod"], bare)).toBe(2);
  expect(bare.err.join("")).toMatch(/SMSCHANNELS_STORE_KEY must hold the store's key/);
});
