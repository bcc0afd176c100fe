import { describe, expect, it } from "@jest/globals";
import { customCredentialHttps as policy } from "../policies";
import { TYPES, UNKNOWN_OBJECT, UNKNOWN_STRING, resourceArgs, runResource } from "./helpers";

const credential = (props: Record<string, unknown>) =>
  resourceArgs(TYPES.CustomRcsCredential, { name: "vendor", providerName: "v", ...props });

describe("custom-credential-https", () => {
  it.each([
    "https://rcs.example.com/v1/messages",
    "http://127.0.0.1:8080/send",
    "http://127.10.0.1/send",
    "http://localhost:3000/send",
    "http://[::1]:3000/send",
  ])("accepts providerUrl %s", async (providerUrl) => {
    expect(await runResource(policy, credential({ providerUrl }))).toEqual([]);
  });

  it("refuses plain http to a public host and names the https URL to use", async () => {
    const reported = await runResource(
      policy,
      credential({ providerUrl: "http://rcs.example.com/send?key=k" }),
    );
    expect(reported).toHaveLength(1);
    expect(reported[0]?.level).toBe("policy");
    expect(reported[0]?.message).toContain(
      'CustomRcsCredential "vendor": providerUrl "http://rcs.example.com/send"',
    );
    expect(reported[0]?.message).toContain("Use https://rcs.example.com/send");
    expect(reported[0]?.message).not.toContain("key=k");
  });

  it.each(["http://10.0.0.5/send", "http://localhost.example.com/send", "ftp://rcs.example.com/"])(
    "refuses providerUrl %s",
    async (providerUrl) => {
      expect(await runResource(policy, credential({ providerUrl }))).toHaveLength(1);
    },
  );

  it("refuses credentials in the URL without printing them", async () => {
    const reported = await runResource(
      policy,
      credential({ providerUrl: "https://alice42:s3cr3t@rcs.example.com/" }),
    );
    expect(reported.map((r) => r.message)).toEqual([
      expect.stringContaining("carries a user name or password"),
    ]);
    expect(reported[0]?.message).not.toContain("s3cr3t");
    expect(reported[0]?.message).not.toContain("alice42");
  });

  it("refuses a value that is not a URL without printing it", async () => {
    const reported = await runResource(policy, credential({ providerUrl: "token=s3cr3t" }));
    expect(reported.map((r) => r.message)).toEqual([expect.stringContaining("is not an absolute URL")]);
    expect(reported[0]?.message).not.toContain("s3cr3t");
  });

  it("checks the OAuth2 token URL and never prints auth values", async () => {
    const auth = { type: "oauth2", tokenUrl: "http://auth.example.com/token", body: "client_secret=s3cr3t" };
    const reported = await runResource(policy, credential({ providerUrl: "https://rcs.example.com/", auth }));
    expect(reported.map((r) => r.message)).toEqual([
      expect.stringContaining('auth.tokenUrl "http://auth.example.com/token"'),
    ]);
    expect(reported[0]?.message).not.toContain("s3cr3t");
    const basic = { type: "basic", username: "u", password: "s3cr3t" };
    expect(
      await runResource(policy, credential({ providerUrl: "https://rcs.example.com/", auth: basic })),
    ).toEqual([]);
  });

  it("skips unknown values", async () => {
    expect(await runResource(policy, credential({ providerUrl: UNKNOWN_STRING }))).toEqual([]);
    expect(
      await runResource(policy, credential({ providerUrl: "https://a.example/", auth: UNKNOWN_OBJECT })),
    ).toEqual([]);
    const auth = { type: "oauth2", tokenUrl: UNKNOWN_STRING };
    expect(await runResource(policy, credential({ providerUrl: "https://a.example/", auth }))).toEqual([]);
  });

  it("ignores other resource types", async () => {
    const args = resourceArgs(TYPES.SmsApiCredential, { providerUrl: "http://rcs.example.com/" });
    expect(await runResource(policy, args)).toEqual([]);
  });
});
