// The example stack: a platform team's SMS and RCS channel set-up. `npm run demo` runs it against the
// local Twilio emulator; leave `smschannels:twilioApiUrl` unset to run it against Twilio itself. The
// emulator is on loopback, so the demo also sets `smschannels:allowPrivateVendorHosts` to `true` (the
// RCS credential's providerUrl points at it); never set that against real vendors.
import * as pulumi from "@pulumi/pulumi";
import { ChannelConfiguration, CustomRcsCredential, SmsApiCredential, SmsWebhook } from "pulumi-sms-channels";

const config = new pulumi.Config();
const accountSid = config.require("twilioAccountSid");
const authToken = config.requireSecret("twilioAuthToken");
const inboundNumber = config.require("inboundNumber");
const twilioApi = new pulumi.Config("smschannels").get("twilioApiUrl") ?? "https://api.twilio.com";

// Twilio SMS/MMS credentials: kept encrypted in the credential store, checked against Twilio in preview.
const twilioSms = new SmsApiCredential("twilio-sms", {
  accountSid,
  authToken,
  messagingServiceSid: config.require("messagingServiceSid"),
  inboundNumber,
});

// RCS goes through a custom-vendor credential: here Twilio's Messages API with a JSON payload, on a
// messaging service whose sender pool holds an RCS sender.
const twilioRcs = new CustomRcsCredential("twilio-rcs", {
  providerName: "Twilio RCS",
  providerUrl: `${twilioApi}/2010-04-01/Accounts/${accountSid}/Messages.json`,
  auth: { type: "basic", username: accountSid, password: authToken },
  payloadTemplate: JSON.stringify({ To: "{{toNumber}}", From: "{{fromNumber}}", Body: "{{message}}" }),
  messagingServiceSid: config.require("rcsMessagingServiceSid"),
});

// Inbound messages with the opt-in, opt-out and help keywords; delivery feedback. Both point the
// Twilio messaging service at themselves, and put its earlier URLs back when destroyed.
const inbound = new SmsWebhook("inbound", {
  type: "inbound",
  apiCredential: twilioSms,
  senderNumber: inboundNumber,
  keywords: {
    optOut: {
      keywords: ["Stop", "Unsubscribe", "Cancel"],
      reply: "You will get no more messages. Reply START to come back.",
    },
    help: { keywords: ["Help", "Info"], reply: "Acme alerts: reply STOP to unsubscribe." },
    custom: [{ keyword: "Hours", reply: "We are open 9-17, Monday to Friday." }],
  },
  defaultReply: "Thanks! A person will answer soon.",
  attachToMessagingService: true,
});
const feedback = new SmsWebhook("feedback", {
  type: "feedback",
  apiCredential: twilioSms,
  attachToMessagingService: true,
});

const marketingSms = new ChannelConfiguration("marketing-sms", {
  name: "marketing-sms",
  description: "Weekly offers by SMS",
  channel: "sms",
  messageType: "marketing",
  apiCredential: twilioSms,
  senderNumber: inboundNumber,
  webhooks: [inbound, feedback],
});

const rcsAlerts = new ChannelConfiguration("rcs-alerts", {
  name: "rcs-alerts",
  description: "Delivery alerts by RCS",
  channel: "rcs",
  messageType: "transactional",
  apiCredential: twilioRcs,
  senderNumber: config.get("rcsSender") ?? "AcmeAlerts",
  subdomain: "alerts",
});

export const twilioCredentialId = twilioSms.id;
export const twilioAccount = twilioSms.accountFriendlyName;
export const rcsCredentialId = twilioRcs.id;
export const inboundWebhookUrl = inbound.webhookUrl;
export const feedbackWebhookUrl = feedback.webhookUrl;
export const channelStatus = { marketingSms: marketingSms.status, rcsAlerts: rcsAlerts.status };
