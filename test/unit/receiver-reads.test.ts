/**
 * The ledger read back where operators read it: the private store service (scope `read`) and the
 * CLI (`consents list`, `messages show`), on the embedded store's SQLite file.
 */
import { request } from "undici";
import { HttpStore, SqliteBackend, SqliteTokenRepository, StoreServer, TokenService } from "../../store";
import { runCli } from "../../store/server/cli";
import {
  inboundForm,
  messageSid,
  postTwilio,
  ReceiverHarness,
  SENDER,
  statusForm,
  webhookPath,
} from "../support/receiver";

const AUTH_TOKEN = "auth-token-of-the-read-tests";

describe("reading the ledger", () => {
  let h: ReceiverHarness;
  let service: StoreServer;
  let serviceUrl: string;
  let readToken: string;
  let otherSandboxToken: string;
  const sid = messageSid();

  beforeAll(async () => {
    h = await ReceiverHarness.open("sqlite");
    const credential = await h.twilioCredential("sms", { authToken: AUTH_TOKEN });
    const inbound = await h.webhook("in", credential);
    const feedback = await h.webhook("fb", credential, { type: "feedback" });
    const { url } = await h.start();
    await postTwilio(url, webhookPath(inbound), inboundForm("+14155552001", "STOP"), AUTH_TOKEN);
    await postTwilio(url, webhookPath(inbound), inboundForm("+14155552002", "START"), AUTH_TOKEN);
    for (const s of ["sent", "delivered"])
      await postTwilio(url, webhookPath(feedback), statusForm(sid, s), AUTH_TOKEN);
    const tokens = new TokenService(new SqliteTokenRepository(h.core.backend as SqliteBackend));
    readToken = (await tokens.create({ sandbox: "prod", scopes: ["read"] })).token;
    otherSandboxToken = (await tokens.create({ sandbox: "staging", scopes: ["read"] })).token;
    service = new StoreServer({ store: h.core, tokens, rateLimit: false });
    serviceUrl = await service.listen(0);
  });
  afterAll(async () => {
    await service.shutdown();
    await h.close();
  });

  const getJson = async (p: string, token = readToken) => {
    const res = await request(serviceUrl + p, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  test("GET /v1/sandboxes/{sandbox}/consents?number=: the number's consent per sender", async () => {
    const r = await getJson("/v1/sandboxes/prod/consents?number=%2B14155552001");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      items: [
        {
          number: "+14155552001",
          sender: SENDER,
          status: "opted-out",
          keyword: "Stop",
          webhookId: expect.stringMatching(/^whk_/),
          updatedAt: expect.any(String),
        },
      ],
    });
    expect(((await getJson("/v1/sandboxes/prod/consents")).body["items"] as unknown[]).length).toBe(2);
    expect((await getJson("/v1/sandboxes/prod/consents?number=14155552001")).status).toBe(400);
    // An unencoded "+" arrives as a space: the answer says how to write it.
    const plus = await getJson("/v1/sandboxes/prod/consents?number=+14155552001");
    expect(plus.status).toBe(400);
    expect(JSON.stringify(plus.body)).toContain('write the \\"+\\" as %2B in a query string');
    expect((await getJson("/v1/sandboxes/prod/consents", otherSandboxToken)).status).toBe(403);
  });

  test("GET /v1/sandboxes/{sandbox}/messages/{id}: status and every event; 404 for an unknown message", async () => {
    const r = await getJson(`/v1/sandboxes/prod/messages/${sid}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      messageId: sid,
      status: "delivered",
      events: [{ status: "sent" }, { status: "delivered" }],
    });
    expect((await getJson("/v1/sandboxes/prod/messages/SMnope")).status).toBe(404);
  });

  test("HttpStore reads them too (consents, message; undefined for an unknown message)", async () => {
    const client = new HttpStore({ url: serviceUrl, token: readToken });
    try {
      expect((await client.consents("prod", "+14155552001"))[0]?.status).toBe("opted-out");
      expect((await client.message("prod", sid))?.status).toBe("delivered");
      expect(await client.message("prod", "SMnope")).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  test("CLI: consents list and messages show", async () => {
    let out = "";
    const io = { stdout: (t: string) => (out += t), stderr: () => undefined, env: {} };
    expect(
      await runCli(
        [
          "consents",
          "list",
          "--database",
          h.database,
          "--sandbox",
          "prod",
          "--number",
          "+14155552002",
          "--json",
        ],
        io,
      ),
    ).toBe(0);
    expect(JSON.parse(out)).toEqual({
      items: [expect.objectContaining({ number: "+14155552002", status: "opted-in" })],
    });
    out = "";
    expect(await runCli(["consents", "list", "--database", h.database, "--sandbox", "prod"], io)).toBe(0);
    expect(out.trim().split("\n")).toHaveLength(2);
    out = "";
    expect(await runCli(["messages", "show", "--database", h.database, "--sandbox", "prod", sid], io)).toBe(
      0,
    );
    expect(JSON.parse(out)).toMatchObject({ status: "delivered" });
    expect(await runCli(["consents", "list", "--database", h.database], io)).toBe(2);
  });
});
