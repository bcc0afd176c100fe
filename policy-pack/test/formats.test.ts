import { describe, expect, it } from "@jest/globals";
import {
  credentialTypeOfResourceType,
  isLoopbackHost,
  senderKind,
  suggestChannelName,
  suggestSender,
  TYPES,
} from "../policies/formats";

describe("type tokens", () => {
  it("are those of the dynamic resources of module smschannels", () => {
    expect(TYPES).toEqual({
      SmsApiCredential: "pulumi-nodejs:dynamic/smschannels:SmsApiCredential",
      CustomRcsCredential: "pulumi-nodejs:dynamic/smschannels:CustomRcsCredential",
      SmsWebhook: "pulumi-nodejs:dynamic/smschannels:SmsWebhook",
      ChannelConfiguration: "pulumi-nodejs:dynamic/smschannels:ChannelConfiguration",
    });
    expect(credentialTypeOfResourceType(TYPES.SmsApiCredential)).toBe("twilio-sms");
    expect(credentialTypeOfResourceType(TYPES.CustomRcsCredential)).toBe("custom-rcs");
    expect(credentialTypeOfResourceType(TYPES.SmsWebhook)).toBeUndefined();
  });
});

describe("sender formats", () => {
  it.each([
    ["+14155550100", "e164"],
    ["+447700900123", "e164"],
    ["+123456789012345", "e164"],
    ["12345", "short-code"],
    ["123456", "short-code"],
    ["ACME", "alphanumeric"],
    ["Acme Shop 1", "alphanumeric"],
    ["A", "alphanumeric"],
  ])("accepts %j as %s", (value, kind) => {
    expect(senderKind(value)).toBe(kind);
  });

  it.each([
    "+1234567890123456", // 16 digits
    "+04155550100", // country code starting with 0
    "14155550100", // no +
    "1234", // too short for a short code
    "1234567", // too long for a short code, no +
    "AcmeShopping1", // 13 characters
    "Acme-Shop", // hyphen
    " ACME", // leading space
    "",
  ])("refuses %j", (value) => {
    expect(senderKind(value)).toBeUndefined();
  });

  it.each([
    ["+1 (415) 555-0100", "+14155550100"],
    ["+1.415.555.0100", "+14155550100"],
    ["0044 7700 900123", "+447700900123"],
    ["14155550100", "+14155550100"],
    [" ACME ", "ACME"],
    ["Acme-Shop", undefined],
    ["12", undefined],
  ])("suggests a fix for %j: %j", (value, suggestion) => {
    expect(suggestSender(value)).toBe(suggestion);
  });
});

describe("loopback hosts", () => {
  it.each(["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]", "::1"])("%s is loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each([
    "128.0.0.1",
    "10.0.0.1",
    "localhost.example.com",
    "127.0.0.1.nip.io",
    "[::2]",
    "0.0.0.0",
    "127.0.0.256",
  ])("%s is not loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe("channel names", () => {
  it.each([
    ["marketing sms", "marketing-sms"],
    ["1st-channel", "st-channel"],
    ["promo/eu", "promo-eu"],
    ["promo!", "promo"],
    ["123", undefined],
  ])("suggests a valid name for %j: %j", (name, suggestion) => {
    expect(suggestChannelName(name)).toBe(suggestion);
  });
});
