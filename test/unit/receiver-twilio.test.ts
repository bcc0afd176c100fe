/**
 * The webhook receiver on Twilio's deliveries, on SQLite and on PostgreSQL (SMSCHANNELS_TEST_PG_URL),
 * over real HTTP on loopback: authenticity, the answer for webhooks that are not there, keywords and
 * consent, TwiML, repeats, status callbacks out of order, and bad bodies.
 */
import { twilioSignature } from "../../store/receiver/signature";
import type { ReceiverLedger } from "../../store/receiver/ledger";
import type { RecordPatch, StoredRecord } from "../../store";
import { PG_SKIP_REASON, testPostgresUrl } from "../support/postgres";
import {
  get,
  inboundForm,
  messageSid,
  post,
  postTwilio,
  PUBLIC_URL,
  ReceiverHarness,
  SENDER,
  statusForm,
  webhookPath,
  type Engine,
} from "../support/receiver";

const AUTH_TOKEN = "auth-token-of-the-test-account";
const PROFILE = "+14155559999";
const SERVICE_SID = `MG${"0123456789abcdef".repeat(2)}`;
const pgUrl = testPostgresUrl();
const engines: [Engine, boolean][] = [
  ["sqlite", true],
  ["postgres", pgUrl !== undefined],
];

describe.each(engines)("receiver on %s (Twilio)", (engine, enabled) => {
  const d = enabled ? describe : describe.skip;
  d(enabled ? "deliveries" : `deliveries (${PG_SKIP_REASON})`, () => {
    let h: ReceiverHarness;
    let url: string;
    let ledger: ReceiverLedger;
    let credential: StoredRecord;
    let inbound: StoredRecord;
    let feedback: StoredRecord;
    let number = 0;
    /** A profile number of its own for each test, so consent histories do not mix. */
    const profile = (): string => `+1415555${String(1000 + ++number).padStart(4, "0")}`;

    beforeAll(async () => {
      h = await ReceiverHarness.open(engine, pgUrl);
      credential = await h.twilioCredential("sms", { authToken: AUTH_TOKEN });
      inbound = await h.webhook("inbound", credential, {
        keywords: {
          optOut: {
            keywords: ["Stop", "Quit"],
            reply: "Bye <now> & \"forever\" 'ok'",
            fuzzy: true,
            fuzzyReply: "Reply STOP to opt out",
          },
          optIn: { keywords: ["Start"], reply: "Welcome back" },
          help: { keywords: ["Help"], reply: "Call 555" },
          custom: [{ keyword: "Hours", reply: "9 to 5" }],
        },
        defaultReply: "Thanks for your message",
      });
      feedback = await h.webhook("feedback", credential, { type: "feedback" });
      ({ url, ledger } = await h.start());
    });
    afterAll(async () => {
      await h.close();
    });

    const send = (params: Record<string, string>, webhook = inbound) =>
      postTwilio(url, webhookPath(webhook), params, AUTH_TOKEN);

    test("GET /healthz answers as the receiver; every other path is 404, the store's API included", async () => {
      const health = await get(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toEqual({ status: "ok", service: "pulumi-sms-channels-receiver" });
      for (const p of [
        "/",
        "/readyz",
        "/v1/sandboxes/prod/webhooks",
        `/v1/sandboxes/prod/api-credentials/${credential.id}`,
        "/v1/audit",
      ]) {
        expect((await get(url + p)).status).toBe(404);
      }
      expect((await get(url + webhookPath(inbound))).status).toBe(404);
    });

    test("STOP: 200 TwiML with the escaped opt-out reply, and the number is opted-out in the ledger", async () => {
      const from = profile();
      const a = await send(inboundForm(from, "  stop "));
      expect(a.status).toBe(200);
      expect(a.contentType).toMatch(/^text\/xml/);
      expect(a.body).toBe(
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Bye &lt;now&gt; &amp; &quot;forever&quot; &apos;ok&apos;</Message></Response>',
      );
      expect(await ledger.consents("prod", from)).toEqual([
        expect.objectContaining({
          number: from,
          sender: SENDER,
          status: "opted-out",
          keyword: "Stop",
          webhookId: inbound.id,
        }),
      ]);
    });

    test("a forged signature: 403, and nothing changes", async () => {
      const from = profile();
      const params = inboundForm(from, "STOP");
      const forged = twilioSignature(
        "not-the-auth-token",
        `${PUBLIC_URL}${webhookPath(inbound)}`,
        Object.entries(params),
      );
      const a = await postTwilio(url, webhookPath(inbound), params, AUTH_TOKEN, { signature: forged });
      expect(a.status).toBe(403);
      expect(await ledger.consents("prod", from)).toEqual([]);
    });

    test("a missing signature: 403, and nothing changes", async () => {
      const from = profile();
      const a = await postTwilio(url, webhookPath(inbound), inboundForm(from, "STOP"), undefined);
      expect(a.status).toBe(403);
      expect(await ledger.consents("prod", from)).toEqual([]);
    });

    test("a signature for another URL (the Host header's, or another webhook's): 403", async () => {
      const from = profile();
      const params = inboundForm(from, "STOP");
      for (const signedUrl of [
        url + webhookPath(inbound),
        `${PUBLIC_URL}${webhookPath(feedback)}`,
        `${PUBLIC_URL}/v1/sandboxes/prod/webhooks/${inbound.id}?x=1`,
      ]) {
        const a = await postTwilio(url, webhookPath(inbound), params, AUTH_TOKEN, { signedUrl });
        expect(a.status).toBe(403);
      }
      // A body changed after signing: the parameters are signed too.
      const sig = twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${webhookPath(inbound)}`, Object.entries(params));
      const a = await postTwilio(url, webhookPath(inbound), { ...params, Body: "START" }, AUTH_TOKEN, {
        signature: sig,
      });
      expect(a.status).toBe(403);
      expect(await ledger.consents("prod", from)).toEqual([]);
    });

    test("unknown webhook id, wrong sandbox, and a webhook deleted since: the same 404", async () => {
      const params = inboundForm(profile(), "STOP");
      const unknown = await send(params, { ...inbound, id: "whk_000000000000000000000000" });
      const wrongSandbox = await send(params, { ...inbound, sandbox: "staging" });
      const gone = await h.webhook("short-lived", credential);
      await h.core.delete("prod", "webhook", gone.id, { actor: "t" });
      const deleted = await send(params, gone);
      const credentialAsWebhook = await send(params, { ...inbound, id: credential.id });
      for (const a of [unknown, wrongSandbox, deleted, credentialAsWebhook]) {
        expect(a.status).toBe(404);
        expect(a.body).toBe(unknown.body);
      }
      expect(await ledger.deliveryCount("staging")).toBe(0);
    });

    test("a webhook deleted after a delivery (its read remembered): 404, and nothing written", async () => {
      const w = await h.webhook("deleted-after-use", credential);
      expect((await send(inboundForm(profile(), "HELP"), w)).status).toBe(200);
      const before = await ledger.deliveryCount("prod");
      await h.core.delete("prod", "webhook", w.id, { actor: "t" });
      const from = profile();
      const a = await send(inboundForm(from, "STOP"), w);
      expect(a.status).toBe(404);
      expect(await ledger.deliveryCount("prod")).toBe(before);
      expect(await ledger.consents("prod", from)).toEqual([]);
    });

    test("a webhook or credential changed after a delivery: answered as it is now (reply, rotated token)", async () => {
      const cred = await h.twilioCredential("rotating", { authToken: "token-one" });
      const w = await h.webhook("changing", cred, { defaultReply: "Old reply" });
      const hello = (): Record<string, string> => inboundForm(profile(), "hello");
      const first = await postTwilio(url, webhookPath(w), hello(), "token-one");
      expect(first.body).toContain("Old reply");
      const edit = (r: StoredRecord, patch: RecordPatch): Promise<StoredRecord> =>
        h.core.update("prod", r.kind, r.id, r.version, patch, { actor: "t" });
      await edit(w, { data: { ...w.data, defaultReply: "New reply" } });
      const second = await postTwilio(url, webhookPath(w), hello(), "token-one");
      expect(second.status).toBe(200);
      expect(second.body).toContain("New reply");
      await edit(cred, { secret: { authToken: "token-two" } });
      const before = await ledger.deliveryCount("prod");
      expect((await postTwilio(url, webhookPath(w), hello(), "token-one")).status).toBe(403);
      expect(await ledger.deliveryCount("prod")).toBe(before);
      expect((await postTwilio(url, webhookPath(w), hello(), "token-two")).status).toBe(200);
    });

    /** A receiver of its own whose ledger counts lookups and writes (each lookup taking `lookupMs` more). */
    const countingReceiver = async (
      lookupMs = 0,
    ): Promise<{ url: string; calls: Record<string, number> }> => {
      const calls = { loadTarget: 0, recordInbound: 0 };
      const counted = await h.ledger();
      const counting = new Proxy(counted, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (prop === "loadTarget" || prop === "recordInbound") calls[prop]++;
          if (typeof v !== "function") return v;
          const f = (v as (...a: unknown[]) => unknown).bind(target);
          return prop === "loadTarget"
            ? (...a: unknown[]) => new Promise((r) => setTimeout(r, lookupMs)).then(() => f(...a))
            : f;
        },
      });
      return { url: (await h.start({ ledger: counting })).url, calls };
    };
    const hello = (receiverUrl: string, webhook = inbound): Promise<number> =>
      postTwilio(receiverUrl, webhookPath(webhook), inboundForm(profile(), "hello"), AUTH_TOKEN).then(
        (a) => a.status,
      );

    test("the deliveries of a webhook read moments ago: no lookup of their own, one write each", async () => {
      const own = await countingReceiver();
      for (let i = 0; i < 5; i++) expect(await hello(own.url)).toBe(200);
      expect(own.calls).toEqual({ loadTarget: 1, recordInbound: 5 });
    });

    test("a burst to a webhook not read yet: one lookup, which the burst's deliveries share", async () => {
      // Slow enough that every delivery of the burst arrives while the first lookup is under way.
      const own = await countingReceiver(300);
      const statuses = await Promise.all(Array.from({ length: 12 }, () => hello(own.url)));
      expect(statuses).toEqual(Array.from({ length: 12 }, () => 200));
      expect(own.calls).toEqual({ loadTarget: 1, recordInbound: 12 });
    });

    test("a body over the limit: 413; malformed bodies: 400; nothing recorded", async () => {
      const before = await ledger.deliveryCount("prod");
      const big = await send(inboundForm(profile(), "x".repeat(70 * 1024)));
      expect(big.status).toBe(413);
      const notForm = await post(url + webhookPath(inbound), '{"Body":"STOP"}', {
        "content-type": "application/json",
      });
      expect(notForm.status).toBe(400);
      const badUtf8 = await post(
        url + webhookPath(inbound),
        Buffer.from([0x42, 0x6f, 0x64, 0x79, 0x3d, 0xff, 0xfe]),
        {
          "content-type": "application/x-www-form-urlencoded",
        },
      );
      expect(badUtf8.status).toBe(400);
      // Signed, but without the fields an inbound message has.
      const noFrom = inboundForm(profile(), "STOP");
      delete (noFrom as Record<string, string | undefined>)["From"];
      expect((await send(noFrom)).status).toBe(400);
      expect(await ledger.deliveryCount("prod")).toBe(before);
    });

    test("a repeated delivery (same MessageSid): the same answer, counted once", async () => {
      const from = profile();
      const params = inboundForm(from, "STOP");
      const first = await send(params);
      const again = await Promise.all([send(params), send(params), send(params)]);
      for (const a of again) {
        expect(a.status).toBe(200);
        expect(a.body).toBe(first.body);
      }
      const history = await ledger.consentHistory("prod", from);
      expect(history).toHaveLength(1);
    });

    test("START opts in again, HELP and custom keywords change nothing, other text gets the default reply", async () => {
      const from = profile();
      await send(inboundForm(from, "STOP"));
      const help = await send(inboundForm(from, "help"));
      expect(help.body).toContain("<Message>Call 555</Message>");
      const hours = await send(inboundForm(from, "HOURS"));
      expect(hours.body).toContain("<Message>9 to 5</Message>");
      expect((await ledger.consents("prod", from))[0]?.status).toBe("opted-out");
      const other = await send(inboundForm(from, "what is this"));
      expect(other.body).toContain("<Message>Thanks for your message</Message>");
      const start = await send(inboundForm(from, "Start"));
      expect(start.body).toContain("<Message>Welcome back</Message>");
      expect((await ledger.consents("prod", from))[0]?.status).toBe("opted-in");
      expect((await ledger.consentHistory("prod", from)).map((c) => [c.previousStatus, c.status])).toEqual([
        [undefined, "opted-out"],
        ["opted-out", "opted-in"],
      ]);
    });

    test("fuzzy opt-out: a near miss changes nothing and gets the fuzzy reply", async () => {
      const from = profile();
      for (const text of ["stop please", "STOP!", "stpo"]) {
        const a = await send(inboundForm(from, text));
        expect(a.body).toContain("<Message>Reply STOP to opt out</Message>");
      }
      expect(await ledger.consents("prod", from)).toEqual([]);
    });

    test("OptOutType (Twilio's Advanced Opt-Out answered): consent recorded, no second reply", async () => {
      const from = profile();
      const a = await send(inboundForm(from, "STOP", { OptOutType: "STOP" }));
      expect(a.status).toBe(200);
      expect(a.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
      expect((await ledger.consents("prod", from))[0]?.status).toBe("opted-out");
      const b = await send(inboundForm(from, "unstop", { OptOutType: "START" }));
      expect(b.body).not.toContain("<Message>");
      expect((await ledger.consents("prod", from))[0]?.status).toBe("opted-in");
    });

    test("status callbacks out of order: every event kept, the status never goes back", async () => {
      const sid = messageSid();
      const status = (s: string, extra: Record<string, string> = {}) =>
        send(statusForm(sid, s, extra, PROFILE), feedback);
      for (const s of ["sent", "delivered", "queued", "sent"]) expect((await status(s)).status).toBe(200);
      // Twilio's retry of `delivered`: acknowledged, counted once.
      expect((await status("delivered")).status).toBe(200);
      const view = await ledger.message("prod", sid);
      expect(view?.status).toBe("delivered");
      expect(view?.events.map((e) => e.status)).toEqual(["sent", "delivered", "queued"]);
      const failed = messageSid();
      await send(statusForm(failed, "failed", { ErrorCode: "30003" }), feedback);
      await send(statusForm(failed, "sending"), feedback);
      expect(await ledger.message("prod", failed)).toMatchObject({ status: "failed", errorCode: "30003" });
    });

    test("a webhook whose credential is an API key signs with its own twilioAuthToken", async () => {
      const keyCred = await h.twilioCredential(
        "api-key",
        { apiKeySecret: "key-secret" },
        { apiKeySid: `SK${"1".repeat(32)}` },
      );
      const withToken = await h.webhook("with-token", keyCred, {
        secret: { twilioAuthToken: "webhook-own-token" },
      });
      const without = await h.webhook("without-token", keyCred);
      const params = inboundForm(profile(), "HELP");
      expect((await postTwilio(url, webhookPath(withToken), params, "webhook-own-token")).status).toBe(200);
      expect((await postTwilio(url, webhookPath(withToken), params, "key-secret")).status).toBe(403);
      // No auth token anywhere: every delivery is refused, never accepted unsigned.
      expect((await postTwilio(url, webhookPath(without), inboundForm(profile(), "HELP"), "")).status).toBe(
        403,
      );
    });
    /*
     * X-Twilio-Signature signs name + value with no separator, so a captured request can be re-split
     * (a boundary moved between two parameters) and still verify. Each field the receiver reads, and
     * each SID around them, must have its exact format, or the delivery is refused (400, naming the
     * field) with nothing written.
     */
    describe("Twilio's fields, read strictly", () => {
      const sendSigned = (params: Record<string, string>, webhook = inbound, signature?: string) =>
        postTwilio(url, webhookPath(webhook), params, AUTH_TOKEN, signature ? { signature } : {});
      const signatureOf = (params: Record<string, string>, webhook = inbound): string =>
        twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${webhookPath(webhook)}`, Object.entries(params));
      const messageOf = (body: string): string =>
        (JSON.parse(body) as { error: { message: string } }).error.message;

      /** `params` with the boundary between `left` and `right` moved: `right` folded into `left`'s value. */
      function resplit(params: Record<string, string>, left: string, right: string): Record<string, string> {
        const { [right]: moved, ...rest } = params;
        return { ...rest, [left]: `${params[left]}${right}${moved}` };
      }

      /** `form` with `change` applied: a field set, or taken out (undefined). */
      function changed(
        form: Record<string, string>,
        change: Record<string, string | undefined>,
      ): Record<string, string> {
        const out = { ...form };
        for (const [k, v] of Object.entries(change)) {
          if (v === undefined) delete out[k];
          else out[k] = v;
        }
        return out;
      }

      test("a captured STOP re-split after START (same signature, new MessageSid): 400 naming MessageSid, consent kept", async () => {
        const from = profile();
        const stop = inboundForm(from, "STOP", { MessagingServiceSid: SERVICE_SID });
        const captured = signatureOf(stop);
        expect((await sendSigned(stop, inbound, captured)).status).toBe(200);
        expect((await send(inboundForm(from, "START", { MessagingServiceSid: SERVICE_SID }))).status).toBe(
          200,
        );
        expect((await ledger.consents("prod", from))[0]?.status).toBe("opted-in");
        const before = await ledger.deliveryCount("prod");

        const replay = resplit(stop, "MessageSid", "MessagingServiceSid");
        // The attack works on the signature: the re-split form signs exactly as the captured one.
        expect(signatureOf(replay)).toBe(captured);
        const a = await sendSigned(replay, inbound, captured);
        expect(a.status).toBe(400);
        expect(messageOf(a.body)).toBe("MessageSid: expected SM or MM followed by 32 hex digits");
        expect((await ledger.consents("prod", from))[0]?.status).toBe("opted-in");
        expect(await ledger.consentHistory("prod", from)).toHaveLength(2);
        expect(await ledger.deliveryCount("prod")).toBe(before);
        expect([...(await h.recordedKeys())].some((k) => k.includes("MessagingServiceSid"))).toBe(false);
        // The exact replay is still a repeat: acknowledged, nothing changed.
        expect((await sendSigned(stop, inbound, captured)).status).toBe(200);
        expect((await ledger.consents("prod", from))[0]?.status).toBe("opted-in");
      });

      test("a captured status callback re-split into a new status: 400 naming MessageStatus", async () => {
        const sid = messageSid();
        const delivered = statusForm(sid, "delivered", { MessagingServiceSid: SERVICE_SID });
        const captured = signatureOf(delivered, feedback);
        expect((await sendSigned(delivered, feedback, captured)).status).toBe(200);
        const replay = resplit(delivered, "MessageStatus", "MessagingServiceSid");
        expect(signatureOf(replay, feedback)).toBe(captured);
        const a = await sendSigned(replay, feedback, captured);
        expect(a.status).toBe(400);
        expect(messageOf(a.body)).toMatch(/^MessageStatus: expected one of /);
        expect((await ledger.message("prod", sid))?.events).toHaveLength(1);
      });

      const inboundCases: [string, Record<string, string | undefined>, string][] = [
        ["MessageSid in upper case", { MessageSid: `SM${"AB".repeat(16)}` }, "MessageSid: expected SM or MM"],
        ["MessageSid too short", { MessageSid: "SM123" }, "MessageSid: expected SM or MM"],
        ["MessageSid missing", { MessageSid: undefined }, "MessageSid: missing"],
        ["SmsSid not a SID", { SmsSid: "SM1" }, "SmsSid: expected SM or MM"],
        [
          "SmsMessageSid of another message",
          { SmsMessageSid: `SM${"f".repeat(32)}` },
          "SmsMessageSid: not the same",
        ],
        ["AccountSid not a SID", { AccountSid: "AC1" }, "AccountSid: expected AC followed by 32 hex digits"],
        ["AccountSid missing", { AccountSid: undefined }, "AccountSid: missing"],
        [
          "MessagingServiceSid not a SID",
          { MessagingServiceSid: "MG123" },
          "MessagingServiceSid: expected MG",
        ],
        ["From with a name folded in", { From: "+14155550123MessageSid" }, "From: expected an E.164 number"],
        ["From not a number", { From: "rcs:acme_agent" }, "From: expected an E.164 number"],
        ["To not an address", { To: "+1 415 555 0100" }, "To: expected an E.164 number"],
        ["To missing", { To: undefined }, "To: missing"],
        ["OptOutType unknown", { OptOutType: "STOPNumMedia0" }, "OptOutType: expected STOP, START or HELP"],
      ];
      test.each(inboundCases)(
        "inbound, %s: 400 naming the field, nothing written",
        async (_, change, message) => {
          const from = profile();
          const before = await ledger.deliveryCount("prod");
          const a = await send(changed(inboundForm(from, "STOP"), change));
          expect(a.status).toBe(400);
          expect(messageOf(a.body)).toContain(message);
          expect(await ledger.deliveryCount("prod")).toBe(before);
          expect(await ledger.consents("prod", from)).toEqual([]);
        },
      );

      test("a texter's own delivery re-split through its Body into another number's STOP: 400, nothing written", async () => {
        const attacker = profile();
        const victim = profile();
        expect((await send(inboundForm(victim, "START"))).status).toBe(200);
        // The texter writes the fields they want into the text, then a name that sorts last ("Zz"),
        // which then takes the real From, MessageSid and the rest as its value.
        const fake = messageSid();
        const text = `STOPFrom${victim}MessageSid${fake}To${SENDER}Zz`;
        const real = inboundForm(attacker, text);
        const captured = signatureOf(real);
        // Its own delivery is refused too: a text naming a message SID after "MessageSid" is one only
        // such an attack writes.
        expect((await sendSigned(real, inbound, captured)).status).toBe(400);
        const { AccountSid, ApiVersion, Body, ...rest } = real;
        const tail = Object.entries(rest)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => k + v)
          .join("");
        const forged = {
          AccountSid: AccountSid as string,
          ApiVersion: ApiVersion as string,
          Body: "STOP",
          From: victim,
          MessageSid: fake,
          To: SENDER,
          Zz: tail,
        };
        expect(Body).toBe(text);
        expect(signatureOf(forged)).toBe(captured);
        const before = await ledger.deliveryCount("prod");
        const a = await sendSigned(forged, inbound, captured);
        expect(a.status).toBe(400);
        expect(messageOf(a.body)).toBe("MessageSid: the signed parameters name another message too");
        expect((await ledger.consents("prod", victim))[0]?.status).toBe("opted-in");
        expect(await ledger.deliveryCount("prod")).toBe(before);
      });

      test("inbound, a field read twice: 400 (which one counts would be the sender's choice)", async () => {
        const from = profile();
        const body = new URLSearchParams(inboundForm(from, "STOP"));
        body.append("From", profile());
        const signature = twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${webhookPath(inbound)}`, [...body]);
        const a = await post(url + webhookPath(inbound), body.toString(), {
          "content-type": "application/x-www-form-urlencoded",
          "x-twilio-signature": signature,
        });
        expect(a.status).toBe(400);
        expect(messageOf(a.body)).toBe("From: given more than once");
        expect(await ledger.consents("prod", from)).toEqual([]);
      });

      test("inbound: the addresses Twilio sends are accepted (channel prefixes, short codes, MM SIDs)", async () => {
        const mms = `MM${"0".repeat(32)}`;
        for (const change of [
          { From: `whatsapp:${profile()}` },
          { From: `rcs:${profile()}`, To: "rcs:acme_agent" },
          { To: "12345" },
          { MessageSid: mms, SmsSid: mms, SmsMessageSid: mms },
          { OptOutType: "" },
        ]) {
          expect((await send({ ...inboundForm(profile(), "HELP"), ...change })).status).toBe(200);
        }
      });

      const statusCases: [string, Record<string, string | undefined>, string][] = [
        ["MessageStatus unknown", { MessageStatus: "deliveredish" }, "MessageStatus: expected one of"],
        ["MessageStatus in upper case", { MessageStatus: "DELIVERED" }, "MessageStatus: expected one of"],
        ["MessageStatus missing", { MessageStatus: undefined }, "MessageStatus: missing"],
        ["ErrorCode with a name folded in", { ErrorCode: "30003From+1" }, "ErrorCode: expected a numeric"],
        ["MessageSid not a SID", { MessageSid: "SM1" }, "MessageSid: expected SM or MM"],
        ["AccountSid missing", { AccountSid: undefined }, "AccountSid: missing"],
        [
          "MessagingServiceSid not a SID",
          { MessagingServiceSid: `MG${"0".repeat(31)}` },
          "MessagingServiceSid:",
        ],
      ];
      test.each(statusCases)(
        "status callback, %s: 400 naming the field, nothing written",
        async (_, change, message) => {
          const sid = messageSid();
          const a = await send(changed(statusForm(sid, "sent"), change), feedback);
          expect(a.status).toBe(400);
          expect(messageOf(a.body)).toContain(message);
          expect(await ledger.message("prod", sid)).toBeUndefined();
        },
      );

      test("status callback: our sender as an alphanumeric ID and an empty ErrorCode are accepted", async () => {
        const sid = messageSid();
        expect(
          (await send(statusForm(sid, "sent", { From: "ACME Inc", ErrorCode: "" }), feedback)).status,
        ).toBe(200);
        expect((await ledger.message("prod", sid))?.status).toBe("sent");
      });
    });
  });
});
