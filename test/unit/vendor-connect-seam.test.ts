/**
 * The vendor client's connect-time seam (net/vendor/pools.ts), where an address policy plugs in:
 * `lookup` resolves every host name the client connects to, and `checkConnection` sees each new
 * connection's address before a byte of the request is sent and may refuse it.
 */
import type { LookupFunction } from "node:net";
import { CustomVendorClient, CustomVendorError } from "../../net/vendor";
import { startRecordingServer, type TestServer } from "../support/http-server";

let vendor: TestServer;
beforeAll(async () => {
  vendor = await startRecordingServer((_req, res) => res.end("{}"));
});
afterAll(() => vendor.close());

const port = (): string => new URL(vendor.base).port;
const request = (host: string) => ({
  providerUrl: `http://${host}:${port()}/send`,
  auth: { type: "bearer" as const, token: "t0ken-value" },
  payload: "{}",
});

it("resolves host names with the given lookup", async () => {
  const asked: string[] = [];
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    asked.push(hostname);
    if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
    else callback(null, "127.0.0.1", 4);
  }) as unknown as LookupFunction;
  const client = new CustomVendorClient({ lookup, allowPrivateHosts: true });
  try {
    expect((await client.send(request("vendor.test"))).status).toBe(200);
    expect(asked).toEqual(["vendor.test"]);
  } finally {
    await client.close();
  }
});

it("fails the request, unsent, when checkConnection refuses the address", async () => {
  const before = vendor.seen.length;
  const seen: Array<string | undefined> = [];
  const client = new CustomVendorClient({
    maxAttempts: 1,
    allowPrivateHosts: true, // the seam itself, without the SSRF guard that plugs into it
    checkConnection: (to) => {
      seen.push(to.remoteAddress);
      return Object.assign(new Error(`${to.hostname} is a loopback address`), { code: "ADDRESS_REFUSED" });
    },
  });
  try {
    const e = await client.send(request("127.0.0.1")).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(CustomVendorError.isInstance(e)).toBe(true);
    expect(e).toMatchObject({ code: "unreachable", reason: "ADDRESS_REFUSED" });
    expect((e as Error).cause).toBeDefined();
    expect(seen).toEqual(["127.0.0.1"]);
    expect(vendor.seen.length).toBe(before);
  } finally {
    await client.close();
  }
});
