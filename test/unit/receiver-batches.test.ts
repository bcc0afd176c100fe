/**
 * Group commit on PostgreSQL: the deliveries that reach a receiver together are written in one
 * statement (one round trip, one commit), each answered only after that commit; deliveries of one
 * consent or one delivery key never share a statement and keep their order; a failing batch is
 * retried item by item. The Batches queue alone, then the PostgreSQL ledger on a real database.
 */
import { Batches } from "../../store/receiver/batches";
import type { InboundDelivery } from "../../store/receiver/ledger";
import type { PostgresLedger } from "../../store/receiver/postgres-ledger";
import type { StoredRecord } from "../../store";
import { PG_SKIP_REASON, testPostgresUrl } from "../support/postgres";
import { ReceiverHarness, SENDER } from "../support/receiver";

describe("Batches", () => {
  const recorder = (fail: (item: string) => boolean = () => false) => {
    const runs: string[][] = [];
    const batches = new Batches<string, string>({
      maxBatch: 3,
      maxInFlight: 2,
      keys: (item) => [item.split(":")[0] as string],
      run: async (batch) => {
        runs.push([...batch]);
        await new Promise((r) => setTimeout(r, 5));
        if (batch.some(fail)) throw new Error(`bad item in ${batch.join(",")}`);
        return batch.map((i) => `ok ${i}`);
      },
    });
    return { runs, batches };
  };

  test("items added in one turn share a run, up to maxBatch; each gets its own answer", async () => {
    const { runs, batches } = recorder();
    const answers = await Promise.all(["a", "b", "c", "d"].map((i) => batches.add(i)));
    expect(answers).toEqual(["ok a", "ok b", "ok c", "ok d"]);
    expect(runs).toEqual([["a", "b", "c"], ["d"]]);
  });

  test("items with one key never share a run, and run in the order they came", async () => {
    const { runs, batches } = recorder();
    await Promise.all(["x:1", "y:1", "x:2", "x:3"].map((i) => batches.add(i)));
    expect(runs).toEqual([["x:1", "y:1"], ["x:2"], ["x:3"]]);
  });

  test("at most maxInFlight runs at once: what comes meanwhile waits, then goes out together", async () => {
    const { runs, batches } = recorder();
    const first = ["a", "b", "c", "d", "e", "f", "g"].map((i) => batches.add(i));
    await new Promise((r) => setImmediate(r));
    const later = ["h", "i"].map((i) => batches.add(i));
    await Promise.all([...first, ...later]);
    expect(runs).toEqual([
      ["a", "b", "c"],
      ["d", "e", "f"],
      ["g", "h", "i"],
    ]);
  });

  test("a run that fails is tried again item by item: only the bad item fails", async () => {
    const { runs, batches } = recorder((i) => i === "bad");
    const results = await Promise.allSettled(["a", "bad", "c"].map((i) => batches.add(i)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(runs).toEqual([["a", "bad", "c"], ["a"], ["bad"], ["c"]]);
  });
});

const pgUrl = testPostgresUrl();
const d = pgUrl ? describe : describe.skip;

d(pgUrl ? "PostgreSQL ledger: group commit" : `PostgreSQL ledger: group commit (${PG_SKIP_REASON})`, () => {
  let h: ReceiverHarness;
  let ledger: PostgresLedger;
  let webhook: StoredRecord;
  let credential: StoredRecord;
  beforeAll(async () => {
    h = await ReceiverHarness.open("postgres", pgUrl);
    credential = await h.twilioCredential("sms", { authToken: "t" });
    webhook = await h.webhook("in", credential);
    ledger = (await h.ledger()) as PostgresLedger;
  });
  afterAll(async () => {
    await h.close();
  });

  let seq = 0;
  const delivery = (from: string, consent?: "opted-out" | "opted-in"): InboundDelivery => ({
    sandbox: "prod",
    webhookId: webhook.id,
    checked: {
      webhookVersion: webhook.version,
      credentialId: credential.id,
      credentialVersion: credential.version,
    },
    dedupeKey: `SM-batch-${++seq}`,
    messageId: `SM-batch-${seq}`,
    profileNumber: from,
    sender: SENDER,
    category: consent === undefined ? "none" : consent === "opted-out" ? "optOut" : "optIn",
    at: new Date(Date.now() + seq).toISOString(),
    ...(consent !== undefined ? { consent, keyword: consent === "opted-out" ? "STOP" : "START" } : {}),
    reply: `reply ${seq}`,
  });

  test("20 deliveries that arrive together: one statement, each answered with its own reply", async () => {
    const batch = Array.from({ length: 20 }, (_, i) => delivery(`+1415555${String(2000 + i)}`, "opted-out"));
    const before = await ledger.deliveryCount("prod");
    const query = jest.spyOn(ledger.backend, "query");
    const answers = await Promise.all(batch.map((x) => ledger.recordInbound(x)));
    expect(query).toHaveBeenCalledTimes(1);
    query.mockRestore();
    expect(answers).toEqual(batch.map((x) => ({ duplicate: false, reply: x.reply })));
    expect(await ledger.deliveryCount("prod")).toBe(before + 20);
    for (const x of batch) {
      expect(await ledger.consents("prod", x.profileNumber)).toEqual([
        expect.objectContaining({ status: "opted-out", keyword: "STOP" }),
      ]);
    }
  });

  test("STOP then START of one number, and a repeat, arriving together: in order, counted once", async () => {
    const from = "+14155553000";
    const stop = delivery(from, "opted-out");
    const start = delivery(from, "opted-in");
    const answers = await Promise.all([stop, start, stop].map((x) => ledger.recordInbound(x)));
    expect(answers).toEqual([
      { duplicate: false, reply: stop.reply },
      { duplicate: false, reply: start.reply },
      { duplicate: true, reply: stop.reply },
    ]);
    expect((await ledger.consentHistory("prod", from)).map((x) => [x.previousStatus, x.status])).toEqual([
      [undefined, "opted-out"],
      ["opted-out", "opted-in"],
    ]);
  });

  test("in one batch, a delivery to a webhook changed since it was read is stale; the others are written", async () => {
    const fresh = delivery("+14155553100");
    const stale = {
      ...delivery("+14155553101"),
      checked: { ...fresh.checked, webhookVersion: webhook.version + 1 },
    };
    const [a, b] = await Promise.all([ledger.recordInbound(fresh), ledger.recordInbound(stale)]);
    expect(a).toEqual({ duplicate: false, reply: fresh.reply });
    expect(b).toEqual({ duplicate: false, stale: true });
  });
});
