/**
 * The SSRF guard of vendor calls: a URL a program (or a store record) names must not make the
 * provider or the receiver call into the network they run in — loopback, private, link-local and
 * carrier-grade NAT ranges, cloud metadata endpoints — with a credential's auth attached.
 *
 * Enforced where a connection is made, after DNS resolution: `guardLookup` refuses a host name that
 * resolves to a forbidden address before connecting, and `checkConnected` refuses the address the
 * socket actually reached (an IP literal, or anything a resolver slipped through), so a DNS rebind
 * between check and connect cannot get through. Only an explicit setting lifts it (emulators, tests).
 */
import { lookup as dnsLookup } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { NetworkError } from "./errors";

/** The stable code of a refused address (the `code` of the NetworkError, and the failure's code). */
export const SSRF_BLOCKED = "SSRF_BLOCKED";

/** What the contract names the setting (CONTRACT.md); a receiver may say its own flag instead. */
export const ALLOW_PRIVATE_VENDOR_HOSTS_HINT =
  "set smschannels:allowPrivateVendorHosts to true (or SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS=true) for emulators and tests";

type Range = readonly [address: string, prefix: number];

/** Address ranges that are not the public internet, by what they are (RFC 6890 and friends). */
const RANGES: ReadonlyArray<{ readonly what: string; readonly v4?: Range[]; readonly v6?: Range[] }> = [
  { what: "loopback", v4: [["127.0.0.0", 8]], v6: [["::1", 128]] },
  { what: "unspecified", v4: [["0.0.0.0", 8]], v6: [["::", 128]] },
  {
    what: "private",
    v4: [
      ["10.0.0.0", 8],
      ["172.16.0.0", 12],
      ["192.168.0.0", 16],
    ],
  },
  { what: "link-local", v4: [["169.254.0.0", 16]], v6: [["fe80::", 10]] },
  { what: "carrier-grade NAT", v4: [["100.64.0.0", 10]] },
  { what: "unique-local", v6: [["fc00::", 7]] },
  { what: "site-local", v6: [["fec0::", 10]] },
  { what: "multicast", v4: [["224.0.0.0", 4]], v6: [["ff00::", 8]] },
  {
    what: "reserved",
    v4: [
      ["192.0.0.0", 24],
      ["192.0.2.0", 24],
      ["198.18.0.0", 15],
      ["198.51.100.0", 24],
      ["203.0.113.0", 24],
      ["240.0.0.0", 4],
    ],
    v6: [
      ["100::", 64],
      ["2001:db8::", 32],
    ],
  },
];

const LISTS = RANGES.map(({ what, v4 = [], v6 = [] }) => {
  const list = new BlockList();
  for (const [a, p] of v4) list.addSubnet(a, p, "ipv4");
  for (const [a, p] of v6) list.addSubnet(a, p, "ipv6");
  return { what, list };
});

/** Host names that reach the machine itself or a cloud's metadata service without any DNS answer. */
const FORBIDDEN_NAMES = new Set(["localhost", "metadata.google.internal", "metadata.goog", "metadata"]);

function bare(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
}

/**
 * What kind of forbidden address `address` is ("loopback", "private", …), or undefined for a public
 * one. IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are judged by their IPv4 address.
 */
export function forbiddenAddress(address: string): string | undefined {
  const ip = bare(address).replace(/%.*$/, ""); // a zone id (fe80::1%eth0) does not change the range
  const family = isIP(ip);
  if (family === 0) return undefined;
  const type = family === 4 ? "ipv4" : "ipv6";
  return LISTS.find(({ list }) => list.check(ip, type))?.what;
}

/**
 * Why a URL's host is refused before any lookup: a forbidden IP literal, `localhost` and its
 * subdomains, or a metadata host name. Undefined when only DNS can tell.
 */
export function forbiddenHostname(hostname: string): string | undefined {
  const host = bare(hostname);
  if (isIP(host.replace(/%.*$/, "")) !== 0) {
    const what = forbiddenAddress(host);
    return what === undefined ? undefined : `a ${what} address`;
  }
  if (host === "localhost" || host.endsWith(".localhost")) return "a loopback host name";
  if (FORBIDDEN_NAMES.has(host)) return "a cloud metadata host name";
  return undefined;
}

/** The refusal, naming the host, what it is and how to allow it; never retried (net/errors.ts). */
export function ssrfRefusal(hostname: string, why: string, howToAllow: string): NetworkError {
  const host = bare(hostname);
  return new NetworkError(
    `refused to connect to ${host}: ${why}, not a public host; vendor URLs may reach only public addresses (to allow it, ${howToAllow})`,
    host,
    SSRF_BLOCKED,
    1,
    { code: SSRF_BLOCKED },
  );
}

export interface GuardOptions {
  /** How to lift the guard, for the message (default: the contract's config key and variable). */
  readonly howToAllow?: string | undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: unknown, family?: number) => void;

/**
 * A lookup (for net.connect) that resolves with `base` and refuses a forbidden host name, or a name
 * with any forbidden address among its answers (a mix is how a rebind hides), before connecting.
 */
export function guardLookup(base: LookupFunction = dnsLookup, options: GuardOptions = {}): LookupFunction {
  const howToAllow = options.howToAllow ?? ALLOW_PRIVATE_VENDOR_HOSTS_HINT;
  const guarded = (hostname: string, opts: object, callback: LookupCallback): void => {
    const named = forbiddenHostname(hostname);
    if (named !== undefined) {
      callback(ssrfRefusal(hostname, named, howToAllow), undefined);
      return;
    }
    (base as unknown as (h: string, o: object, cb: LookupCallback) => void)(
      hostname,
      opts,
      (err, address, family) => {
        if (err) {
          callback(err, address, family);
          return;
        }
        const answers = Array.isArray(address)
          ? (address as Array<{ address: string }>).map((a) => a.address)
          : [String(address)];
        for (const a of answers) {
          const what = forbiddenAddress(a);
          if (what !== undefined) {
            callback(ssrfRefusal(hostname, `it resolves to ${a}, a ${what} address`, howToAllow), undefined);
            return;
          }
        }
        callback(null, address, family);
      },
    );
  };
  return guarded as unknown as LookupFunction;
}

/**
 * The check of an open connection, before a byte is sent: refuses a forbidden host name or a socket
 * connected to a forbidden address (what a rebind or an IP literal would reach).
 */
export function guardConnection(
  options: GuardOptions = {},
): (to: { readonly hostname: string; readonly remoteAddress: string | undefined }) => Error | undefined {
  const howToAllow = options.howToAllow ?? ALLOW_PRIVATE_VENDOR_HOSTS_HINT;
  return (to) => {
    const named = forbiddenHostname(to.hostname);
    if (named !== undefined) return ssrfRefusal(to.hostname, named, howToAllow);
    // No address means the socket is not connected: refuse what cannot be judged.
    if (to.remoteAddress === undefined) {
      return ssrfRefusal(to.hostname, "its connected address is unknown", howToAllow);
    }
    const what = forbiddenAddress(to.remoteAddress);
    return what === undefined
      ? undefined
      : ssrfRefusal(to.hostname, `it is connected to ${to.remoteAddress}, a ${what} address`, howToAllow);
  };
}
