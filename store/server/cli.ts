#!/usr/bin/env node
/**
 * `pulumi-sms-channels-store`: runs the shared credential store service and manages its tokens.
 * Everything it logs is a JSON line; the one secret it ever prints is a new token, once, on stdout.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { CoreStore } from "../core";
import { Keyring } from "../crypto";
import { StoreError } from "../errors";
import { consentsList, messagesShow, receive } from "../receiver/cli";
import { isTokenScope, TOKEN_SCOPES, type TokenRecord, type TokenScope } from "../tokens/model";
import { TokenService } from "../tokens/service";
import { keyFileFor, readKeyFile } from "../embedded";
import { isPostgresUrl, openServiceDatabase, type ServiceDatabase } from "./database";
import { jsonLogger } from "./log";
import { isRecordKind, records } from "./records-cli";
import { DEFAULT_RATE_LIMIT, StoreServer } from "./server";

export const USAGE = `Usage:
  pulumi-sms-channels-store serve  --database <postgres://...|./store.db> [--listen 127.0.0.1:8787]
                                   [--max-body-bytes 65536] [--rate-limit 100] [--rate-burst 200]
                                   [--shutdown-timeout 10]
  pulumi-sms-channels-store token create --database <db> --sandbox <name|*> --scope <read|write|runtime>...
                                   [--description <text>] [--json]
  pulumi-sms-channels-store token list   --database <db> [--json]
  pulumi-sms-channels-store token revoke --database <db> <token-id>
  pulumi-sms-channels-store migrate --database <db>
  pulumi-sms-channels-store receive --database <postgres://...|./store.db> --public-url <webhookBaseUrl>
                                   [--listen 127.0.0.1:8788] [--max-body-bytes 65536] [--shutdown-timeout 10]
                                   [--allow-private-vendor-hosts]
      replies to custom vendors refuse loopback, private, link-local and metadata addresses unless
      --allow-private-vendor-hosts (or SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS=true) allows them.
  pulumi-sms-channels-store consents list --database <db> --sandbox <name> [--number <E.164>] [--json]
  pulumi-sms-channels-store messages show --database <db> --sandbox <name> <message-id>
  pulumi-sms-channels-store records list   --database <db> --sandbox <name> [--kind <kind>] [--json]
  pulumi-sms-channels-store records delete --database <db> --sandbox <name> --kind <kind> <record-id> [--force]
      kinds: api-credential, webhook, channel-configuration. For a record a stack no longer holds
      (after \`pulumi state delete\`): one a stack owns needs --force; one still referred to is
      refused (IN_USE).
  pulumi-sms-channels-store rekey   --database <postgres://...|./store.db> [--batch-size 100]
      re-seals every secret with the first key of SMSCHANNELS_STORE_KEY (for an embedded store
      without it: the key file beside the store), then retires the others: they can be removed.

Environment:
  SMSCHANNELS_STORE_KEY       base64 32-byte key(s), newest first, comma-separated (serve: required;
                              receive, rekey, records: else the key file beside a SQLite store)
  SMSCHANNELS_WEBHOOK_BASE_URL  used when --public-url is not given
  SMSCHANNELS_STORE_DATABASE  used when --database is not given (keeps a password out of the process list)
  SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS  "true": as --allow-private-vendor-hosts (receive)
`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the service should stop (SIGTERM or SIGINT in the real command). */
  readonly stopSignal?: Promise<string>;
  /** Told the service's URL once it listens. */
  readonly onListening?: (url: string) => void;
}

class UsageError extends Error {}

const OPTIONS = {
  database: { type: "string" },
  listen: { type: "string" },
  "max-body-bytes": { type: "string" },
  "rate-limit": { type: "string" },
  "rate-burst": { type: "string" },
  "shutdown-timeout": { type: "string" },
  "public-url": { type: "string" },
  number: { type: "string" },
  "batch-size": { type: "string" },
  sandbox: { type: "string" },
  kind: { type: "string" },
  scope: { type: "string", multiple: true },
  description: { type: "string" },
  json: { type: "boolean" },
  force: { type: "boolean" },
  "allow-private-vendor-hosts": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, sub, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? io.stdout : io.stderr)(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    switch (command) {
      case "serve":
        return await serve(values, io);
      case "migrate":
        return await withDatabase(values, io, async (db) => {
          io.stdout(`${db.where}: schema is up to date\n`);
          return 0;
        });
      case "token":
        return await token(sub, rest, values, io);
      case "receive":
        return await receiveCommand(values, io);
      case "consents":
        if (sub !== "list") throw new UsageError(`consents: list, got "${sub ?? ""}"`);
        return await consentsList(
          databaseOf(values, io.env),
          sandboxOf(values),
          values.number,
          values.json === true,
          io.stdout,
        );
      case "messages": {
        const id = rest[0];
        if (sub !== "show" || !id || rest.length > 1)
          throw new UsageError("messages: show --sandbox <name> <message-id>");
        return await messagesShow(databaseOf(values, io.env), sandboxOf(values), id, io.stdout, io.stderr);
      }
      case "rekey":
        return await rekey(values, io);
      case "records":
        return await recordsCommand(sub, rest, values, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr(`error: ${StoreError.isInstance(e) ? `${e.code}: ${e.message}` : (e as Error).message}\n`);
    return 1;
  }
}

function databaseOf(values: Values, env: NodeJS.ProcessEnv): string {
  const database = values.database ?? env["SMSCHANNELS_STORE_DATABASE"];
  if (!database) throw new UsageError("--database (or SMSCHANNELS_STORE_DATABASE) is required");
  return database;
}

async function withDatabase<T>(
  values: Values,
  io: CliIo,
  fn: (db: ServiceDatabase) => Promise<T>,
): Promise<T> {
  const db = await openServiceDatabase(databaseOf(values, io.env));
  try {
    return await fn(db);
  } finally {
    await db.backend.close();
  }
}

function positiveNumber(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${option}: a number from 0, got "${text}"`);
  return n;
}

/** `127.0.0.1:8787`, `[::1]:8787`, `:8787` (all interfaces: say so on purpose) or just `8787`. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UsageError(`--listen: host:port, e.g. 127.0.0.1:8787, got "${text}"`);
  const host = m[1] ?? m[2] ?? "";
  return { host: host === "" ? (text.includes(":") ? "0.0.0.0" : "127.0.0.1") : host, port };
}

async function serve(values: Values, io: CliIo): Promise<number> {
  const logger = jsonLogger(io.stdout);
  const keyText = io.env["SMSCHANNELS_STORE_KEY"];
  if (!keyText) {
    throw new UsageError(
      "SMSCHANNELS_STORE_KEY must hold the base64 key that encrypts secrets (make one: openssl rand -base64 32)",
    );
  }
  const keyring = Keyring.parse(keyText);
  const { host, port } = parseListen(values.listen ?? "127.0.0.1:8787");
  const perSecond = positiveNumber(values["rate-limit"], "rate-limit", DEFAULT_RATE_LIMIT.perSecond);
  const burst = positiveNumber(values["rate-burst"], "rate-burst", Math.max(1, perSecond * 2));
  const db = await openServiceDatabase(databaseOf(values, io.env), {
    onPoolError: (message) => logger.warn(message),
  });
  let store: CoreStore;
  try {
    store = await CoreStore.open(db.backend, keyring);
  } catch (e) {
    await db.backend.close();
    throw e;
  }
  try {
    const server = new StoreServer({
      store,
      tokens: new TokenService(db.tokens),
      logger,
      maxBodyBytes: positiveNumber(values["max-body-bytes"], "max-body-bytes", 64 * 1024),
      rateLimit: perSecond === 0 ? false : { perSecond, burst },
      shutdownTimeoutMs: positiveNumber(values["shutdown-timeout"], "shutdown-timeout", 10) * 1000,
    });
    const url = await server.listen(port, host);
    logger.info("serving", { database: db.where, url });
    io.onListening?.(url);
    const signal = await (io.stopSignal ?? processSignal());
    logger.info("signal received", { signal });
    await server.shutdown();
    return 0;
  } finally {
    await store.close();
  }
}

function sandboxOf(values: Values): string {
  if (!values.sandbox) throw new UsageError("--sandbox <name> is required");
  return values.sandbox;
}

async function receiveCommand(values: Values, io: CliIo): Promise<number> {
  const publicUrl = values["public-url"] ?? io.env["SMSCHANNELS_WEBHOOK_BASE_URL"];
  if (!publicUrl) {
    throw new UsageError(
      "receive: --public-url <webhookBaseUrl> is required: the URL Twilio and vendors call (it is signed)",
    );
  }
  return receive({
    database: databaseOf(values, io.env),
    listen: parseListen(values.listen ?? "127.0.0.1:8788"),
    publicUrl,
    maxBodyBytes: positiveNumber(values["max-body-bytes"], "max-body-bytes", 64 * 1024),
    shutdownTimeoutMs: positiveNumber(values["shutdown-timeout"], "shutdown-timeout", 10) * 1000,
    keyText: io.env["SMSCHANNELS_STORE_KEY"],
    allowPrivateVendorHosts:
      values["allow-private-vendor-hosts"] === true ||
      io.env["SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS"] === "true",
    logger: jsonLogger(io.stdout),
    stop: io.stopSignal ?? processSignal(),
    ...(io.onListening ? { onListening: io.onListening } : {}),
  });
}

/** The store's keys: SMSCHANNELS_STORE_KEY, else (a SQLite file) the key file beside it. */
function keyringOf(database: string, env: NodeJS.ProcessEnv, missing: string): Keyring {
  const keyText = env["SMSCHANNELS_STORE_KEY"];
  if (keyText) return Keyring.parse(keyText);
  const keyFile = isPostgresUrl(database) ? undefined : keyFileFor(path.resolve(database));
  if (keyFile && fs.existsSync(keyFile)) return readKeyFile(keyFile);
  throw new UsageError(missing);
}

async function recordsCommand(
  sub: string | undefined,
  rest: string[],
  values: Values,
  io: CliIo,
): Promise<number> {
  if (sub !== "list" && sub !== "delete") throw new UsageError(`records: list or delete, got "${sub ?? ""}"`);
  const kind = values.kind;
  if (kind !== undefined && !isRecordKind(kind))
    throw new UsageError(
      `records: --kind is api-credential, webhook or channel-configuration, got "${kind}"`,
    );
  if (sub === "delete" && (!kind || rest.length !== 1))
    throw new UsageError("records delete: --sandbox <name> --kind <kind> and one record id");
  if (sub === "list" && rest.length > 0) throw new UsageError("records list: takes no record id");
  const database = databaseOf(values, io.env);
  // A mistyped path would otherwise make an empty store and list nothing, as if it were right.
  if (!isPostgresUrl(database) && !fs.existsSync(database))
    throw new UsageError(`records: --database ${database} does not exist`);
  const keyring = keyringOf(
    database,
    io.env,
    "records: SMSCHANNELS_STORE_KEY must hold the store's key (for an embedded store: or its key file beside it)",
  );
  return records(
    {
      sub,
      database,
      sandbox: sandboxOf(values),
      ...(kind ? { kind } : {}),
      ...(rest[0] ? { id: rest[0] } : {}),
      json: values.json === true,
      force: values.force === true,
    },
    keyring,
    io.stdout,
    io.stderr,
  );
}

async function rekey(values: Values, io: CliIo): Promise<number> {
  const database = databaseOf(values, io.env);
  const keyring = keyringOf(
    database,
    io.env,
    "rekey: SMSCHANNELS_STORE_KEY must hold the new key first, then the old one(s): new,old (make one: openssl rand -base64 32)",
  );
  const batchSize = Math.floor(positiveNumber(values["batch-size"], "batch-size", 100));
  if (batchSize < 1) throw new UsageError("--batch-size: a whole number from 1");
  const db = await openServiceDatabase(database);
  try {
    const store = new CoreStore(db.backend, keyring);
    const result = await store.rekey({
      batchSize,
      onBatch: (p) => io.stderr(`rekey: ${p.resealed} re-sealed so far\n`),
    });
    io.stdout(
      `${db.where}: ${result.resealed} secret(s) re-sealed with key ${result.currentKeyId}` +
        (result.retiredKeyIds.length > 0
          ? `; retired key(s) ${result.retiredKeyIds.join(", ")}: remove them from SMSCHANNELS_STORE_KEY / smschannels:storeKey\n`
          : "\n"),
    );
    return 0;
  } finally {
    await db.backend.close();
  }
}

function processSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve(signal);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

function describeToken(t: TokenRecord): string {
  const state = t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? "never"}`;
  return `${t.id}  sandbox=${t.sandbox}  scopes=${t.scopes.join(",")}  created ${t.createdAt}  ${state}${
    t.description ? `  "${t.description}"` : ""
  }`;
}

async function token(sub: string | undefined, rest: string[], values: Values, io: CliIo): Promise<number> {
  switch (sub) {
    case "create": {
      if (!values.sandbox)
        throw new UsageError('token create: --sandbox <name> is required ("*" for every sandbox)');
      const scopes = (values.scope ?? []).flatMap((s) => s.split(",")).map((s) => s.trim());
      const bad = scopes.filter((s) => !isTokenScope(s));
      if (scopes.length === 0 || bad.length > 0) {
        throw new UsageError(
          `token create: --scope takes ${TOKEN_SCOPES.join(", ")} (repeat it for several)`,
        );
      }
      const spec = {
        sandbox: values.sandbox,
        scopes: scopes as TokenScope[],
        ...(values.description ? { description: values.description } : {}),
      };
      const { token: secret, record } = await withDatabase(values, io, (db) =>
        new TokenService(db.tokens).create(spec),
      );
      // The token goes to stdout alone (so `TOKEN=$(... token create ...)` works), the facts to stderr.
      if (values.json) io.stdout(JSON.stringify({ ...record, token: secret }) + "\n");
      else {
        io.stdout(`${secret}\n`);
        io.stderr(`created ${describeToken(record)}\nthe token is shown once; only its hash is kept\n`);
      }
      return 0;
    }
    case "list": {
      const list = await withDatabase(values, io, (db) => new TokenService(db.tokens).list());
      io.stdout(
        values.json ? JSON.stringify(list) + "\n" : list.map((t) => describeToken(t) + "\n").join(""),
      );
      return 0;
    }
    case "revoke": {
      const id = rest[0];
      if (!id || rest.length > 1) throw new UsageError("token revoke: give one token id (tok_...)");
      const result = await withDatabase(values, io, (db) => new TokenService(db.tokens).revoke(id));
      if (result === "absent") {
        io.stderr(`no token ${id}\n`);
        return 1;
      }
      io.stdout(result === "revoked" ? `revoked ${id}\n` : `${id} was already revoked\n`);
      return 0;
    }
    default:
      throw new UsageError(`token: create, list or revoke, got "${sub ?? ""}"`);
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
