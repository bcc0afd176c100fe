/**
 * What a create leaves when a step fails, through the handlers on the real SQLite store and the
 * Twilio emulator: a side effect that fails after the write undoes the write (SmsWebhook's attach);
 * a check that fails before it (a refused sample message, a sender the account does not own)
 * writes nothing. Either way a retried `up` starts clean. And what a delete leaves: SmsWebhook puts
 * its service back before its record goes, so a failure leaves both and a retried delete converges.
 */
import { randomBytes } from "node:crypto";
import { channelConfiguration } from "../../provider/handlers/channelConfiguration";
import { customRcsCredential } from "../../provider/handlers/customRcsCredential";
import { smsApiCredential } from "../../provider/handlers/smsApiCredential";
import { smsWebhook } from "../../provider/handlers/smsWebhook";
import type { RecordKind } from "../../store/types";
import { startRecordingServer } from "../support/http-server";
import {
  customCredentialInputs,
  freshNumber,
  startHarness,
  storedTwilioCredential,
  twilioAccount,
  twilioCredentialInputs,
  unique,
  urnOf,
  type Harness,
} from "../support/provider-context";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => h.twilio.clearFaults());

async function nothingNamed(kind: RecordKind, name: string): Promise<void> {
  expect(await h.store.findByName("prod", kind, name)).toBeUndefined();
}

/** A twilio-sms credential whose messaging service has a URL of its own, to be kept or restored. */
async function attachable() {
  const c = await storedTwilioCredential(h, { inboundRequestUrl: "https://old.example.com/in" });
  return { serviceSid: c.serviceSid, credentialId: c.id, account: c.account };
}

const inboundUrl = (serviceSid: string) => h.twilio.getService(serviceSid)?.inboundRequestUrl;

/** An inbound webhook that attaches to the credential's messaging service. */
function attachedWebhook(name: string, credentialId: string) {
  return smsWebhook.create(h.ctx, {
    sandbox: "prod",
    name,
    type: "inbound",
    apiCredentialId: credentialId,
    attachToMessagingService: true,
    ownerUrn: urnOf("SmsWebhook", name),
  });
}

describe("SmsWebhook: attaching to the messaging service", () => {
  it("attaches on create and puts the earlier URL back on delete", async () => {
    const { serviceSid, credentialId } = await attachable();
    const name = unique("hook");
    const { id, outs } = await attachedWebhook(name, credentialId);
    expect(outs).toMatchObject({
      webhookUrl: `${h.receiver.base}/v1/sandboxes/prod/webhooks/${id}`,
      attachedServiceSid: serviceSid,
      previousServiceUrl: "https://old.example.com/in",
    });
    expect(h.twilio.getService(serviceSid)?.inboundRequestUrl).toBe(outs["webhookUrl"]);
    await smsWebhook.delete(h.ctx, id, outs);
    expect(h.twilio.getService(serviceSid)?.inboundRequestUrl).toBe("https://old.example.com/in");
    await nothingNamed("webhook", name);
  });

  it("undoes the write when the attach fails after it: no record left, the service untouched", async () => {
    const { serviceSid, credentialId } = await attachable();
    h.twilio.injectFault({
      kind: "status",
      status: 503,
      times: 1,
      match: { method: "POST", path: /^\/v1\/Services\// },
    });
    const name = unique("hook");
    await expect(attachedWebhook(name, credentialId)).rejects.toThrow();
    expect(h.twilio.pendingFaults()).toHaveLength(0);
    await nothingNamed("webhook", name);
    expect(h.twilio.getService(serviceSid)?.inboundRequestUrl).toBe("https://old.example.com/in");
  });
});

describe("SmsWebhook: a delete puts the service back before it deletes the record", () => {
  /** An attached webhook, with the state its create gave. */
  async function attachedOne() {
    const { serviceSid, credentialId, account } = await attachable();
    const { id, outs } = await attachedWebhook(unique("hook"), credentialId);
    expect(inboundUrl(serviceSid)).toBe(outs["webhookUrl"]);
    return { id, state: outs, serviceSid, account, webhookUrl: outs["webhookUrl"] };
  }

  it("Twilio failing: the delete fails with the record and the attachment in place; the retry restores and deletes", async () => {
    const { id, state, serviceSid, webhookUrl } = await attachedOne();
    h.twilio.injectFault({ kind: "status", status: 503, times: 50, match: { path: /^\/v1\/Services\// } });
    await expect(smsWebhook.delete(h.ctx, id, state)).rejects.toThrow(/20503/);
    // The receiver still knows the webhook the service calls: no inbound STOP is lost meanwhile.
    expect(await h.store.get("prod", "webhook", id)).toBeDefined();
    expect(inboundUrl(serviceSid)).toBe(webhookUrl);

    h.twilio.clearFaults();
    await smsWebhook.delete(h.ctx, id, state);
    expect(inboundUrl(serviceSid)).toBe("https://old.example.com/in");
    expect(await h.store.get("prod", "webhook", id)).toBeUndefined();
  });

  it("a record changed outside Pulumi: the delete is refused for the conflict and the service keeps the webhook", async () => {
    const { id, state, serviceSid, webhookUrl } = await attachedOne();
    const record = (await h.store.get("prod", "webhook", id))!;
    await h.store.update(
      "prod",
      "webhook",
      id,
      record.version,
      { data: { ...record.data, defaultReply: "edited by hand" } },
      { actor: "test" },
    );
    await expect(smsWebhook.delete(h.ctx, id, state)).rejects.toThrow(/changed outside Pulumi.*\[CONFLICT\]/);
    expect(inboundUrl(serviceSid)).toBe(webhookUrl);
    expect(await h.store.get("prod", "webhook", id)).toBeDefined();

    // As the error says: a refresh takes the change into the state, then the delete goes through.
    const { props } = await smsWebhook.read(h.ctx, id, state);
    await smsWebhook.delete(h.ctx, id, props);
    expect(inboundUrl(serviceSid)).toBe("https://old.example.com/in");
    expect(await h.store.get("prod", "webhook", id)).toBeUndefined();
  });

  it("a Messaging Service deleted in Twilio: nothing to put back, the delete goes on with a warning", async () => {
    const { id, state, serviceSid } = await attachedOne();
    h.twilio.removeService(serviceSid);
    const warned = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await smsWebhook.delete(h.ctx, id, state);
      expect(warned.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringMatching(
          new RegExp(`Messaging Service ${serviceSid} no longer exists in Twilio \\(Twilio error 20404 `),
        ),
      ]);
    } finally {
      warned.mockRestore();
    }
    expect(await h.store.get("prod", "webhook", id)).toBeUndefined();
  });

  it("Twilio refusing the credential (20003): the error states the way out, and the first one works", async () => {
    const { account, service } = twilioAccount(h, { inboundRequestUrl: "https://old.example.com/in" });
    const credName = unique("cred");
    const credInputs = twilioCredentialInputs(credName, account, { messagingServiceSid: service.sid });
    const credential = await smsApiCredential.create(h.ctx, credInputs);
    const name = unique("hook");
    const { id, outs } = await attachedWebhook(name, credential.id);
    const newToken = h.twilio.rotateAuthToken(account.sid);

    const err = await smsWebhook.delete(h.ctx, id, outs).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe("TWILIO_REJECTED");
    expect(err?.message).toContain(
      `SmsWebhook ${name}: attachToMessagingService: Twilio refused credential "${credName}" of account ${account.sid} (Twilio error 20003 `,
    );
    expect(err?.message).toContain(
      `so Messaging Service ${service.sid} still points at this webhook and nothing was deleted. If the credential's authToken was changed in Twilio: set the current one on SmsApiCredential "${credName}", run \`pulumi up\`, then run the delete again.`,
    );
    expect(err?.message).toContain(
      `If the account is gone for good: remove the webhook from the stack with \`pulumi state delete '${urnOf("SmsWebhook", name)}'\`; its record (webhook "${name}", id ${id}, sandbox "prod") is then left in the store`,
    );
    // …and the command that deletes that record, which keeps the credential in use.
    expect(err?.message).toContain(
      `npx pulumi-sms-channels-store records delete --database ${h.ctx.settings.storePath} --sandbox prod --kind webhook ${id} --force`,
    );
    expect(err?.message).not.toContain(account.authToken);
    expect(err?.message).not.toContain(newToken);
    expect(await h.store.get("prod", "webhook", id)).toBeDefined();
    expect(inboundUrl(service.sid)).toBe(outs["webhookUrl"]);

    // The way out for a changed token: the current one on the credential, then the delete again.
    await smsApiCredential.update(
      h.ctx,
      credential.id,
      { ...credInputs, ...credential.outs },
      { ...credInputs, authToken: newToken },
    );
    await smsWebhook.delete(h.ctx, id, outs);
    expect(inboundUrl(service.sid)).toBe("https://old.example.com/in");
    expect(await h.store.get("prod", "webhook", id)).toBeUndefined();
  });

  it("a crash between the two steps (service put back, record left): the retry deletes the record", async () => {
    const { id, state, serviceSid, account } = await attachedOne();
    // What the first attempt did before the crash, through Twilio's own API.
    const put = await fetch(`${h.twilio.url}/v1/Services/${serviceSid}`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString("base64")}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ InboundRequestUrl: "https://old.example.com/in" }).toString(),
    });
    expect(put.status).toBe(200);
    await smsWebhook.delete(h.ctx, id, state);
    expect(inboundUrl(serviceSid)).toBe("https://old.example.com/in");
    expect(await h.store.get("prod", "webhook", id)).toBeUndefined();
  });
});

describe("a check that fails before the write writes nothing", () => {
  it("SmsApiCredential: Twilio refuses the sample message", async () => {
    const account = h.twilio.addAccount();
    const inboundNumber = freshNumber();
    h.twilio.addIncomingNumber(account.sid, inboundNumber);
    h.twilio.injectFault({
      kind: "status",
      status: 400,
      times: 1,
      match: { method: "POST", path: /Messages\.json$/ },
    });
    const name = unique("cred");
    await expect(
      smsApiCredential.create(
        h.ctx,
        twilioCredentialInputs(name, account, {
          inboundNumber,
          verifyConnection: { to: "+14155550199", message: "hello" },
        }),
      ),
    ).rejects.toThrow();
    expect(h.twilio.messages.filter((m) => m.accountSid === account.sid)).toHaveLength(0);
    await nothingNamed("api-credential", name);
  });

  it("SmsApiCredential: strict validation and a wrong auth token", async () => {
    const account = h.twilio.addAccount();
    const name = unique("cred");
    await expect(
      smsApiCredential.create(
        h.ctx,
        twilioCredentialInputs(name, { sid: account.sid, authToken: randomBytes(16).toString("hex") }),
      ),
    ).rejects.toThrow(/SmsApiCredential: authToken/);
    await nothingNamed("api-credential", name);
  });

  it("CustomRcsCredential: the vendor refuses the sample message", async () => {
    const vendor = await startRecordingServer((_req, res) => res.writeHead(401).end('{"error":"nope"}'));
    try {
      const name = unique("rcs");
      await expect(
        customRcsCredential.create(
          h.ctx,
          customCredentialInputs(name, `${vendor.base}/send`, {
            verifyConnection: { to: "+14155550103", message: "hi" },
          }),
        ),
      ).rejects.toThrow(/verifyConnection: .*refused the credentials: HTTP 401/);
      expect(vendor.seen).toHaveLength(1);
      await nothingNamed("api-credential", name);
    } finally {
      await vendor.close();
    }
  });

  it("ChannelConfiguration: a sender that is not the credential's", async () => {
    const { credentialId } = await attachable();
    const name = unique("Chan");
    await expect(
      channelConfiguration.create(h.ctx, {
        sandbox: "prod",
        name,
        channel: "sms",
        messageType: "marketing",
        apiCredentialId: credentialId,
        senderNumber: "+14155550999",
      }),
    ).rejects.toThrow(/senderNumber: \+14155550999 is neither/);
    await nothingNamed("channel-configuration", name);
  });
});
