/**
 * What a create leaves when a step fails, through the handlers on the real SQLite store and the
 * Twilio emulator: a side effect that fails after the write undoes the write (SmsWebhook's attach);
 * a check that fails before it (a refused sample message, a sender the account does not own)
 * writes nothing. Either way a retried `up` starts clean.
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
  return { serviceSid: c.serviceSid, credentialId: c.id };
}

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
