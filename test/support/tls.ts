/**
 * A throw-away public-key infrastructure for tests: one CA, a server certificate for 127.0.0.1 and
 * localhost, and a client certificate (for mutual TLS), all made with the `openssl` CLI at test time
 * so no key ever lives in the repository. EC P-256 keys: fast to generate.
 *
 * Trust the CA in-process with `new CustomVendorClient({ ca: pki.caCert })`, or in a child process
 * (a Pulumi provider) with the environment variable `NODE_EXTRA_CA_CERTS=<pki.caFile>`: Node reads
 * that file once, at start.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface TestPki {
  /** PEM of the self-signed CA that issued both certificates below. */
  readonly caCert: string;
  /** Path of a file holding `caCert`: the value for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /** PEM; subjectAltName IP:127.0.0.1, DNS:localhost; extendedKeyUsage serverAuth. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** PEM; CN test-client; extendedKeyUsage clientAuth. */
  readonly clientCert: string;
  readonly clientKey: string;
}

const OPENSSL = process.env["OPENSSL"] ?? "openssl";

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync(OPENSSL, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString("utf8") ?? "";
    throw new Error(`openssl ${args[0] ?? ""} failed: ${stderr.trim() || (e as Error).message}`);
  }
}

function newKey(cwd: string, file: string): void {
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file], cwd);
}

/** Issues `name`.crt from a new key, signed by ca.crt/ca.key, with the given v3 extensions. */
function issue(cwd: string, name: string, subject: string, extensions: string): void {
  newKey(cwd, `${name}.key`);
  openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], cwd);
  writeFileSync(path.join(cwd, `${name}.ext`), extensions);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-sha256",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    ],
    cwd,
  );
}

/**
 * Writes ca.crt/ca.key, server.crt/server.key and client.crt/client.key into `dir` (created if need
 * be; keys mode 0600) and returns their PEM text. Each call makes a new, unrelated CA.
 */
export function makeTestPki(dir: string): TestPki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  newKey(dir, "ca.key");
  writeFileSync(
    path.join(dir, "ca.cnf"),
    [
      "[req]",
      "distinguished_name = dn",
      "x509_extensions = v3_ca",
      "prompt = no",
      "[dn]",
      "CN = pulumi-sms-channels test CA",
      "[v3_ca]",
      "basicConstraints = critical, CA:TRUE",
      "keyUsage = critical, keyCertSign, cRLSign",
      "subjectKeyIdentifier = hash",
      "",
    ].join("\n"),
  );
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-config",
      "ca.cnf",
      "-days",
      "2",
      "-sha256",
      "-out",
      "ca.crt",
    ],
    dir,
  );
  issue(
    dir,
    "server",
    "/CN=localhost",
    [
      "basicConstraints = CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "subjectAltName = IP:127.0.0.1, DNS:localhost",
      "",
    ].join("\n"),
  );
  issue(
    dir,
    "client",
    "/CN=test-client",
    [
      "basicConstraints = CA:FALSE",
      "keyUsage = critical, digitalSignature",
      "extendedKeyUsage = clientAuth",
      "",
    ].join("\n"),
  );
  for (const key of ["ca.key", "server.key", "client.key"]) chmodSync(path.join(dir, key), 0o600);
  const read = (f: string) => readFileSync(path.join(dir, f), "utf8");
  return {
    caCert: read("ca.crt"),
    caFile: path.join(dir, "ca.crt"),
    serverCert: read("server.crt"),
    serverKey: read("server.key"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
  };
}
