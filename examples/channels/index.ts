// The example stack: a platform team's SMS channel set-up. `npm run demo` runs it against the local
// Twilio emulator; point `smschannels:twilioApiUrl` away (or unset it) to run it against Twilio.
import * as pulumi from "@pulumi/pulumi";
import { SmsApiCredential } from "pulumi-sms-channels";

const config = new pulumi.Config();

// Twilio SMS/MMS credentials: kept encrypted in the credential store, checked against Twilio in preview.
const twilioSms = new SmsApiCredential("twilio-sms", {
  accountSid: config.require("twilioAccountSid"),
  authToken: config.requireSecret("twilioAuthToken"),
  messagingServiceSid: config.require("messagingServiceSid"),
  inboundNumber: config.require("inboundNumber"),
});

export const twilioCredentialId = twilioSms.id;
export const twilioAccount = twilioSms.accountFriendlyName;
export const twilioSecretFingerprint = twilioSms.secretFingerprint;
