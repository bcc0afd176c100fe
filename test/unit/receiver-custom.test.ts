/**
 * Custom-vendor deliveries (JSON through payloadMapping, the webhook's verification) and the reply
 * outbox, on SQLite and on PostgreSQL (SMSCHANNELS_TEST_PG_URL), over real HTTP on loopback.
 */
import { createHmac } from "node:crypto";
import type { StoredRecord } from "../../store";
import type { ReceiverLedger } from "../../store/receiver/ledger";
import { OutboxWorker, ReplyError, type VendorReply } from "../../store/receiver/outbox";
import { PG_SKIP_REASON, testPostgresUrl } from "../support/postgres";
import { VendorReplySender } from "../../store/receiver/vendor-sender";
import { startRecordingServer } from "../support/http-server";
import { hmacHex, post, ReceiverHarness, webhookPath, type Engine } from "../support/receiver";

const pgUrl = testPostgresUrl();
const engines: [Engine, boolean][] = [
  ["sqlite", true],
  ["postgres", pgUrl !== undefined],
];
const HMAC_SECRET = "vendor-signing-secret";
const OUR_NUMBER = "+14155550100";

describe.each(engines)("receiver on %s (custom vendors)", (engine, enabled) => {
  const d = enabled ? describe : describe.skip;
  d(enabled ? "deliveries and outbox" : `deliveries and outbox (${PG_SKIP_REASON})`, () => {
    let h: ReceiverHarness;
    let url: string;
    let ledger: ReceiverLedger;
    let credential: StoredRecord;
    let hmacHook: StoredRecord;
    let basicHook: StoredRecord;
    let bearerHook: StoredRecord;
    let feedbackHook: StoredRecord;
    let n = 0;
    const profile = (): string => `+1415556${String(1000 + ++n).padStart(4, "0")}`;
    const mapping = {
      inboundMessage: "message.text",
      profileNumber: "message.from",
      requestId: "id",
      inboundNumber: "message.to",
    };

    beforeAll(async () => {
      h = await ReceiverHarness.open(engine, pgUrl);
      credential = await h.customCredential("vendor");
      hmacHook = await h.webhook("hmac", credential, {
        payloadMapping: mapping,
        verification: { type: "hmac-sha256" },
        secret: { verification: { secret: HMAC_SECRET } },
      });
      basicHook = await h.webhook("basic", credential, {
        payloadMapping: mapping,
        verification: { type: "basic" },
        secret: { verification: { username: "vendor", password: "pw-of-vendor" } },
      });
      bearerHook = await h.webhook("bearer", credential, {
        payloadMapping: { inboundMessage: "text", profileNumber: "from" },
        senderNumber: OUR_NUMBER,
        verification: { type: "bearer" },
        secret: { verification: { token: "vendor-bearer" } },
      });
      feedbackHook = await h.webhook("feedback", credential, {
        type: "feedback",
        payloadMapping: { clientReference: "ref", status: "state", code: "error.code" },
        verification: { type: "hmac-sha256", header: "X-Vendor-Signature" },
        secret: { verification: { secret: HMAC_SECRET } },
      });
      ({ url, ledger } = await h.start());
    });
    afterAll(async () => {
      await h.close();
    });

    const inbound = (from: string, text: string, id = `req-${++n}`) =>
      JSON.stringify({ id, message: { text, from, to: OUR_NUMBER } });
    const sendHmac = (body: string, sig = hmacHex(HMAC_SECRET, body), header = "x-signature") =>
      post(url + webhookPath(hmacHook), body, { "content-type": "application/json", [header]: sig });

    test("HMAC-SHA256 of the raw body, hex or base64: STOP opts out and queues the reply in the outbox", async () => {
      const from = profile();
      const body = inbound(from, "STOP");
      const a = await sendHmac(body);
      expect(a.status).toBe(200);
      expect((await ledger.consents("prod", from))[0]).toMatchObject({
        status: "opted-out",
        sender: OUR_NUMBER,
      });
      const b64 = createHmac("sha256", HMAC_SECRET).update(inbound(profile(), "HELP")).digest("base64");
      expect((await sendHmac(inbound(`+1415556${n}`, "HELP"), b64)).status).toBe(403); // signed another body
      const other = inbound(profile(), "HELP");
      expect(
        (await sendHmac(other, createHmac("sha256", HMAC_SECRET).update(other).digest("base64"))).status,
      ).toBe(200);
      const queued = (await ledger.outbox("prod")).filter((o) => o.to === from);
      expect(queued).toEqual([
        expect.objectContaining({
          state: "pending",
          from: OUR_NUMBER,
          credentialId: credential.id,
          body: expect.stringContaining("unsubscribed"),
        }),
      ]);
    });

    test("a forged or missing HMAC, wrong basic or bearer credentials: 403 and nothing changes", async () => {
      const from = profile();
      const body = inbound(from, "STOP");
      expect((await sendHmac(body, hmacHex("other-secret", body))).status).toBe(403);
      expect(
        (await post(url + webhookPath(hmacHook), body, { "content-type": "application/json" })).status,
      ).toBe(403);
      const basic = (user: string, pw: string) =>
        post(url + webhookPath(basicHook), body, {
          "content-type": "application/json",
          authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`,
        });
      expect((await basic("vendor", "wrong")).status).toBe(403);
      expect(
        (
          await post(url + webhookPath(bearerHook), JSON.stringify({ text: "STOP", from }), {
            authorization: "Bearer nope",
          })
        ).status,
      ).toBe(403);
      expect(await ledger.consents("prod", from)).toEqual([]);
      expect((await basic("vendor", "pw-of-vendor")).status).toBe(200);
      expect((await ledger.consents("prod", from))[0]?.status).toBe("opted-out");
    });

    test("bearer, with the webhook's senderNumber when the payload names no number", async () => {
      const from = profile();
      const a = await post(url + webhookPath(bearerHook), JSON.stringify({ text: "start", from }), {
        authorization: "Bearer vendor-bearer",
      });
      expect(a.status).toBe(200);
      expect((await ledger.consents("prod", from))[0]).toMatchObject({
        status: "opted-in",
        sender: OUR_NUMBER,
      });
    });

    test("a payload missing a mapped field, or not JSON: 400, nothing recorded", async () => {
      const before = await ledger.deliveryCount("prod");
      const noText = JSON.stringify({ id: "x1", message: { from: profile(), to: OUR_NUMBER } });
      const a = await sendHmac(noText);
      expect(a.status).toBe(400);
      expect(JSON.parse(a.body).error.message).toContain("inboundMessage");
      expect((await sendHmac("not json")).status).toBe(400);
      expect((await sendHmac("[1,2]")).status).toBe(400);
      expect(await ledger.deliveryCount("prod")).toBe(before);
    });

    test("a repeated delivery (same mapped requestId): acknowledged, counted once, one reply queued", async () => {
      const from = profile();
      const body = inbound(from, "STOP", "req-repeat");
      const answers = await Promise.all([sendHmac(body), sendHmac(body), sendHmac(body)]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      expect((await ledger.outbox("prod")).filter((o) => o.to === from)).toHaveLength(1);
      expect(await ledger.consentHistory("prod", from)).toHaveLength(1);
    });

    test("feedback through the mapping, out of order, with its own signature header", async () => {
      const send = (o: unknown) => {
        const body = JSON.stringify(o);
        return post(url + webhookPath(feedbackHook), body, {
          "x-vendor-signature": hmacHex(HMAC_SECRET, body),
        });
      };
      expect((await send({ ref: "msg-1", state: "DELIVERED" })).status).toBe(200);
      expect((await send({ ref: "msg-1", state: "sent" })).status).toBe(200);
      expect((await send({ ref: "msg-2", state: "failed", error: { code: 4001 } })).status).toBe(200);
      expect((await send({ ref: "msg-3" })).status).toBe(400);
      expect(await ledger.message("prod", "msg-1")).toMatchObject({
        status: "delivered",
        events: [{ status: "delivered" }, { status: "sent" }],
      });
      expect(await ledger.message("prod", "msg-2")).toMatchObject({ status: "failed", errorCode: "4001" });
    });

    test("outbox: sent once by racing workers, retried with backoff, given up as dead on a permanent error", async () => {
      const sent: VendorReply[] = [];
      let failures = 2;
      const sender = {
        async send(r: VendorReply) {
          if (r.message.includes("unsubscribed") && failures-- > 0)
            throw new ReplyError("vendor answered 503", true);
          if (r.to === "+19995550000") throw new ReplyError("vendor answered 400", false);
          sent.push(r);
        },
      };
      // One reply the vendor will refuse for good.
      await h.webhook("dead-end", credential, {
        payloadMapping: mapping,
        verification: { type: "hmac-sha256" },
        secret: { verification: { secret: HMAC_SECRET } },
      });
      await sendHmac(
        JSON.stringify({ id: "dead-1", message: { text: "HELP", from: "+19995550000", to: OUR_NUMBER } }),
      );
      const workers = [1, 2].map(
        () =>
          new OutboxWorker({
            ledger,
            keyring: h.keyring,
            sender,
            baseDelayMs: 1,
            maxDelayMs: 1,
            maxAttempts: 3,
            leaseMs: 30_000,
          }),
      );
      for (let round = 0; round < 10; round++) {
        await Promise.all(workers.map((w) => w.runOnce()));
        await new Promise((r) => setTimeout(r, 5));
      }
      const rows = await ledger.outbox("prod");
      const ids = sent.map((s) => s.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const row of rows) {
        if (row.to === "+19995550000")
          expect(row).toMatchObject({ state: "dead", attempts: 1, lastError: "vendor answered 400" });
        else expect(row.state).toBe("sent");
      }
      expect(rows.some((r) => r.attempts > 1 && r.state === "sent")).toBe(true);
      expect(
        sent.every(
          (s) =>
            s.credential.secret["auth"] !== undefined && s.credential.data["payloadTemplate"] !== undefined,
        ),
      ).toBe(true);
    });

    test("outbox through the vendor's own API: template rendered, Idempotency-Key, 503 retried, 400 dead", async () => {
      let hits = 0;
      const vendor = await startRecordingServer((req, res, _hit, body) => {
        const to = (JSON.parse(body) as { to: string }).to;
        const status = to === "+19995550001" ? 400 : ++hits === 1 ? 503 : 201;
        res.writeHead(status, { "content-type": "application/json" }).end('{"sid":"MM1"}');
      });
      try {
        const cred = await h.customCredential("real-vendor", { providerUrl: `${vendor.base}/v1/messages` });
        const hook = await h.webhook("real-vendor", cred, {
          defaultReply: 'Thanks "for" writing',
          payloadMapping: mapping,
          verification: { type: "hmac-sha256" },
          secret: { verification: { secret: HMAC_SECRET } },
        });
        const deliver = (from: string, text: string) => {
          const body = inbound(from, text);
          return post(url + webhookPath(hook), body, { "x-signature": hmacHex(HMAC_SECRET, body) });
        };
        const from = profile();
        expect((await deliver(from, 'say "hi"\n')).status).toBe(200);
        expect((await deliver("+19995550001", "HELP")).status).toBe(200);
        const sender = new VendorReplySender({ allowPrivateHosts: true }); // the vendor is on loopback
        const worker = new OutboxWorker({
          ledger,
          keyring: h.keyring,
          sender,
          baseDelayMs: 1,
          maxDelayMs: 1,
        });
        for (let i = 0; i < 5; i++) {
          await worker.runOnce();
          await new Promise((r) => setTimeout(r, 5));
        }
        await sender.close();
        const rows = (await ledger.outbox("prod")).filter((o) => o.webhookId === hook.id);
        expect(rows.find((r) => r.to === from)).toMatchObject({ state: "sent", attempts: 2 });
        expect(rows.find((r) => r.to === "+19995550001")).toMatchObject({ state: "dead", attempts: 1 });
        const ok = vendor.seen.filter((s) => (JSON.parse(s.body) as { to: string }).to === from);
        expect(ok).toHaveLength(2);
        expect(JSON.parse(ok[1]?.body ?? "")).toEqual({
          to: from,
          from: OUR_NUMBER,
          text: 'Thanks "for" writing',
        });
        expect(ok[0]?.headers["idempotency-key"]).toBe(ok[1]?.headers["idempotency-key"]);
        expect(ok[0]?.headers["authorization"]).toBe("Bearer vendor-token-for-tests");
      } finally {
        await vendor.close();
      }
    });

    test("outbox: a reply claimed by a worker that died is sent by another once its lease ends", async () => {
      const from = profile();
      await sendHmac(inbound(from, "STOP"));
      const sent: string[] = [];
      const sender = { send: async (r: VendorReply) => void sent.push(r.to) };
      const dying = new OutboxWorker({
        ledger,
        keyring: h.keyring,
        sender: { send: () => new Promise<void>(() => undefined) },
        leaseMs: 300,
      });
      void dying.runOnce();
      await new Promise((r) => setTimeout(r, 100));
      const survivor = new OutboxWorker({ ledger, keyring: h.keyring, sender, leaseMs: 300 });
      await survivor.runOnce();
      expect(sent).not.toContain(from); // still leased by the dead worker
      await new Promise((r) => setTimeout(r, 400));
      await survivor.runOnce();
      expect(sent.filter((t) => t === from)).toHaveLength(1);
      expect((await ledger.outbox("prod")).find((o) => o.to === from)?.state).toBe("sent");
    });
  });
});
