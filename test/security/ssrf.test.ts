/**
 * SSRF through custom-vendor URLs (issue 10): a CustomRcsCredential's providerUrl or auth.tokenUrl
 * at a metadata endpoint, a private range or the machine itself is refused — in preview when the
 * URL names such a host, and at connect time, after DNS, when a name only resolves there — unless
 * smschannels:allowPrivateVendorHosts (SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS) allows it. The
 * receiver's outbox, which calls vendors from a server, obeys the same guard. The "vendor" is a
 * real loopback server that counts requests: a refusal must leave it at 0.
 */
import type { LookupFunction } from "node:net";
import {
  CustomVendorClient,
  CustomVendorError,
  type CustomVendorClientOptions,
  type CustomVendorRequest,
} from "../../net/vendor";
import { forbiddenAddress, forbiddenHostname, SSRF_BLOCKED } from "../../net/ssrf";
import { permanentFailure } from "../../net/errors";
import { resolveSettings } from "../../provider/config";
import { customRcsCredential } from "../../provider/handlers/customRcsCredential";
import { ReplyError } from "../../store/receiver/outbox";
import { VendorReplySender } from "../../store/receiver/vendor-sender";
import { startRecordingServer, type TestServer } from "../support/http-server";
import { customCredentialInputs, startHarness, unique, type Harness } from "../support/provider-context";

let vendor: TestServer;
let guarded: Harness;
let allowed: Harness;
beforeAll(async () => {
  vendor = await startRecordingServer((_req, res) => res.writeHead(200).end('{"sid":"SMok"}'));
  guarded = await startHarness({ "smschannels:allowPrivateVendorHosts": "false" });
  allowed = await startHarness({ "smschannels:allowPrivateVendorHosts": "true" });
});
afterAll(async () => {
  await Promise.all([vendor.close(), guarded.close(), allowed.close()]);
});

const port = (): string => new URL(vendor.base).port;

/** A resolver that answers every name with `addresses` and records what it was asked. */
function fakeDns(...addresses: string[]): { lookup: LookupFunction; asked: string[] } {
  const asked: string[] = [];
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    asked.push(hostname);
    const all = addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    if (options.all) callback(null, all);
    else callback(null, all[0]?.address, all[0]?.family);
  }) as unknown as LookupFunction;
  return { lookup, asked };
}

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("the address classes", () => {
  test.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["fd00::1", "unique-local"],
    ["fc00::5", "unique-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["[::ffff:10.0.0.1]", "private"],
  ])("%s is %s", (address, what) => {
    expect(forbiddenAddress(address)).toBe(what);
  });

  test.each(["8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])(
    "%s is public",
    (address) => expect(forbiddenAddress(address)).toBeUndefined(),
  );

  test("host names: localhost and its subdomains, metadata names; others wait for DNS", () => {
    for (const h of [
      "localhost",
      "LOCALHOST.",
      "api.localhost",
      "metadata.google.internal",
      "metadata.google.internal.",
    ])
      expect(forbiddenHostname(h)).toBeDefined();
    for (const h of ["rcs.example.com", "metadata.example.com", "localhost.example.com"])
      expect(forbiddenHostname(h)).toBeUndefined();
  });

  test("a refusal is permanent: never tried again", () => expect(permanentFailure(SSRF_BLOCKED)).toBe(true));
});

describe("preview refuses a vendor URL that names a private host, naming the field", () => {
  test.each([
    ["providerUrl", "https://169.254.169.254/latest/meta-data/", "link-local"],
    ["providerUrl", "https://10.0.0.8/send", "private"],
    ["providerUrl", "http://localhost:8080/send", "loopback"],
    ["providerUrl", "https://metadata.google.internal/computeMetadata/v1/", "metadata"],
    ["providerUrl", "https://[::ffff:169.254.169.254]/x", "link-local"],
    ["auth.tokenUrl", "https://169.254.169.254/token", "link-local"],
    ["auth.tokenUrl", "https://192.168.0.10/oauth/token", "private"],
  ])("%s %s", async (field, url, what) => {
    const inputs =
      field === "providerUrl"
        ? customCredentialInputs(unique("ssrf"), url, { validation: "off" })
        : customCredentialInputs(unique("ssrf"), "https://rcs.example.com/v1/send", {
            validation: "off",
            auth: {
              type: "oauth2",
              tokenUrl: url,
              body: "grant_type=client_credentials&client_secret=abcdef123",
            },
          });
    const { failures } = await customRcsCredential.check(guarded.ctx, {}, inputs);
    expect(failures).toHaveLength(1);
    expect(failures?.[0]?.property).toBe(field);
    expect(failures?.[0]?.reason).toContain(what);
    expect(failures?.[0]?.reason).toContain("smschannels:allowPrivateVendorHosts");
    expect(failures?.[0]?.reason).toContain("SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS");

    // Allowed explicitly (emulators, tests): no failure.
    expect((await customRcsCredential.check(allowed.ctx, {}, inputs)).failures).toEqual([]);
  });

  test("a public host name passes preview (DNS is judged when connecting)", async () => {
    const inputs = customCredentialInputs(unique("ssrf"), "https://rcs.example.com/v1/send", {
      validation: "off",
    });
    expect((await customRcsCredential.check(guarded.ctx, {}, inputs)).failures).toEqual([]);
  });

  test("the setting: stack config wins over the environment; anything but true/false is refused", () => {
    const cfg = (v: string) => ({
      get: (k: string) => (k === "smschannels:allowPrivateVendorHosts" ? v : undefined),
    });
    expect(resolveSettings(undefined, {}, "/tmp").allowPrivateVendorHosts).toBe(false);
    expect(
      resolveSettings(undefined, { SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS: "true" }, "/tmp")
        .allowPrivateVendorHosts,
    ).toBe(true);
    expect(
      resolveSettings(cfg("false"), { SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS: "true" }, "/tmp")
        .allowPrivateVendorHosts,
    ).toBe(false);
    expect(() => resolveSettings(cfg("yes"), {}, "/tmp")).toThrow(
      /smschannels:allowPrivateVendorHosts \(or SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS\)/,
    );
  });
});

/** One send through a fresh client (no waits between tries): its error, and requests the vendor got. */
async function sendWith(
  options: CustomVendorClientOptions,
  request: Partial<CustomVendorRequest>,
): Promise<{ error: unknown; received: number }> {
  const before = vendor.seen.length;
  const client = new CustomVendorClient({ maxAttempts: 3, sleep: async () => undefined, ...options });
  try {
    const error = await failureOf(
      client.send({
        providerUrl: `http://vendor.test:${port()}/send`,
        auth: { type: "none" },
        payload: "{}",
        ...request,
      }),
    );
    return { error, received: vendor.seen.length - before };
  } finally {
    await client.close();
  }
}

describe("at connect time, after DNS", () => {
  test("a name that resolves to a private address is refused and nothing is sent; once only", async () => {
    const dns = fakeDns("127.0.0.1");
    const { error, received } = await sendWith(
      { lookup: dns.lookup },
      { auth: { type: "bearer", token: "tok-abcdef-123456" } },
    );
    expect(CustomVendorError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "blocked", reason: SSRF_BLOCKED });
    const message = (error as Error).message;
    expect(message).toContain("vendor.test");
    expect(message).toContain("127.0.0.1");
    expect(message).toContain("smschannels:allowPrivateVendorHosts");
    expect(message).not.toContain("tok-abcdef-123456");
    expect(received).toBe(0);
    expect(dns.asked).toEqual(["vendor.test"]); // permanent: not retried
  });

  test("a name with a public and a private answer (a rebind's mix) is refused", async () => {
    const { error, received } = await sendWith({ lookup: fakeDns("93.184.215.14", "10.0.0.7").lookup }, {});
    expect(error).toMatchObject({ code: "blocked", reason: SSRF_BLOCKED });
    expect((error as Error).message).toContain("10.0.0.7");
    expect(received).toBe(0);
  });

  test("an IP literal (no lookup at all) is refused on the connected socket; nothing is sent", async () => {
    const { error, received } = await sendWith({}, { providerUrl: `${vendor.base}/send` });
    expect(error).toMatchObject({ code: "blocked", reason: SSRF_BLOCKED });
    expect(received).toBe(0);
  });

  test("an OAuth2 tokenUrl resolving to a private address: refused, the client secret never sent", async () => {
    const dns = fakeDns("169.254.169.254");
    const { error, received } = await sendWith(
      { lookup: dns.lookup },
      {
        providerUrl: "https://rcs.example.com/send",
        auth: {
          type: "oauth2",
          tokenUrl: `http://idp.test:${port()}/token`,
          body: "grant_type=client_credentials&client_secret=s3cret-value-xyz",
        },
      },
    );
    expect(error).toMatchObject({ code: "blocked", reason: SSRF_BLOCKED });
    expect((error as Error).message).toContain("auth.tokenUrl");
    expect((error as Error).message).not.toContain("s3cret-value-xyz");
    expect(dns.asked).toEqual(["idp.test"]);
    expect(received).toBe(0);
  });

  test("allowed with the flag: the same request goes through", async () => {
    const { error, received } = await sendWith(
      { lookup: fakeDns("127.0.0.1").lookup, allowPrivateHosts: true },
      {},
    );
    expect(error).toBeUndefined();
    expect(received).toBe(1);
  });

  test("the provider's verifyConnection (a create that skipped preview) is refused too; nothing written", async () => {
    const before = vendor.seen.length;
    const name = unique("ssrf");
    const inputs = customCredentialInputs(name, `${vendor.base}/send`, {
      validation: "off",
      verifyConnection: { to: "+14155550100", message: "hi" },
    });
    const e = await failureOf(customRcsCredential.create(guarded.ctx, inputs));
    expect((e as Error).message).toContain("verifyConnection");
    expect((e as Error).message).toContain("not a public host");
    expect(vendor.seen.length).toBe(before);
    expect(await guarded.store.findByName("prod", "api-credential", name)).toBeUndefined();
  });

  test("the provider's verifyConnection to a public-looking name that resolves to this machine: refused after DNS, nothing sent or written", async () => {
    const dns = fakeDns("127.0.0.1");
    const resolving = await startHarness(
      { "smschannels:allowPrivateVendorHosts": "false" },
      { lookup: dns.lookup },
    );
    try {
      const name = unique("ssrf-dns");
      const inputs = customCredentialInputs(name, "https://vendor.test/send", {
        validation: "off",
        verifyConnection: { to: "+14155550100", message: "hi" },
      });
      // Preview has nothing to refuse (and asks no DNS): the name is public until it is resolved.
      expect((await customRcsCredential.check(resolving.ctx, {}, inputs)).failures).toEqual([]);
      expect(dns.asked).toEqual([]);
      const e = await failureOf(customRcsCredential.create(resolving.ctx, inputs));
      expect((e as Error).message).toContain("verifyConnection");
      expect((e as Error).message).toContain("127.0.0.1");
      expect((e as Error).message).toContain("smschannels:allowPrivateVendorHosts");
      expect(dns.asked).toEqual(["vendor.test"]);
      expect(await resolving.store.findByName("prod", "api-credential", name)).toBeUndefined();
    } finally {
      await resolving.close();
    }
  });
});

describe("the receiver's outbox obeys the same guard", () => {
  const reply = (providerUrl: string) => ({
    id: "out-1",
    to: "+14155550100",
    from: "+14155550101",
    message: "STOP received",
    credential: {
      data: { providerUrl, payloadTemplate: '{"to":"{{toNumber}}","text":"{{message}}"}' },
      secret: { auth: { type: "bearer", token: "reply-token-123456" } },
    },
  });

  test("a reply to a loopback vendor is refused for good (not retried), nothing sent", async () => {
    const before = vendor.seen.length;
    const sender = new VendorReplySender();
    try {
      const e = await failureOf(sender.send(reply(`${vendor.base}/send`)));
      expect(e).toBeInstanceOf(ReplyError);
      expect((e as ReplyError).retryable).toBe(false);
      expect((e as Error).message).toContain("not a public host");
      expect((e as Error).message).not.toContain("reply-token-123456");
      expect(vendor.seen.length).toBe(before);
    } finally {
      await sender.close();
    }
  });

  test("allowed when the receiver is started with it", async () => {
    const before = vendor.seen.length;
    const sender = new VendorReplySender({ allowPrivateHosts: true });
    try {
      await sender.send(reply(`${vendor.base}/send`));
      expect(vendor.seen.length).toBe(before + 1);
    } finally {
      await sender.close();
    }
  });
});
