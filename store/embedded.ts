import fs from "node:fs";
import path from "node:path";
import { CoreStore } from "./core";
import { Keyring } from "./crypto";
import { StoreError } from "./errors";
import { SqliteBackend } from "./sqlite/backend";

export interface EmbeddedStoreOptions {
  /** The SQLite file. */
  readonly path: string;
  /** `smschannels:storeKey`: base64 key(s), newest first. Without it, a key file beside the store. */
  readonly key?: string;
  /** Told when the store falls back to a key file. */
  readonly warn?: (message: string) => void;
}

/** `store.db` → `store.key`, beside it. */
export function keyFileFor(storePath: string): string {
  const ext = path.extname(storePath);
  return ext ? storePath.slice(0, -ext.length) + ".key" : `${storePath}.key`;
}

/**
 * Opens (and creates where missing) the embedded store: a local SQLite file, secrets encrypted at
 * rest with the configured key, or else with a generated key kept in a 0600 file beside the store.
 */
export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<CoreStore> {
  const file = path.resolve(options.path);
  protectStoreFolder(file, options.warn);
  const keyring = options.key ? Keyring.parse(options.key) : loadOrCreateKeyFile(file, options.warn);
  return CoreStore.open(new SqliteBackend(file), keyring);
}

/** The keys in an existing key file, refused when other users could read it. */
export function readKeyFile(keyFile: string): Keyring {
  const mode = fs.statSync(keyFile).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new StoreError(
      "INVALID_INPUT",
      `storeKey: the key file ${keyFile} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${keyFile}`,
      "storeKey",
    );
  }
  return Keyring.parse(fs.readFileSync(keyFile, "utf8"));
}

/**
 * An existing store folder is made 0700 like a new one, when it is the store's own: the default
 * `.smschannels`, or one holding nothing but the store's files. A folder shared with other things
 * (a project folder, /tmp) is left alone, with a warning when others can read it.
 */
function protectStoreFolder(storeFile: string, warn?: (message: string) => void): void {
  const dir = path.dirname(storeFile);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return; // made 0700 when the store creates it
  }
  if ((stat.mode & 0o077) === 0) return;
  const stem = path.basename(keyFileFor(storeFile), ".key");
  const own =
    typeof process.getuid === "function" &&
    stat.uid === process.getuid() &&
    (path.basename(dir) === ".smschannels" || fs.readdirSync(dir).every((f) => f.startsWith(stem)));
  if (own) {
    fs.chmodSync(dir, 0o700);
    return;
  }
  warn?.(
    `the store folder ${dir} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); the store file itself is 0600, but keep it in a folder of its own`,
  );
}

/** Whether the embedded store's file exists and holds a secret (so its key must not be replaced). */
export function storeHoldsSecrets(storeFile: string): boolean {
  if (!fs.existsSync(storeFile) || fs.statSync(storeFile).size === 0) return false;
  const probe = new SqliteBackend(storeFile);
  try {
    const row = probe.db
      .prepare("SELECT COUNT(*) AS n FROM records WHERE secret_key_id IS NOT NULL")
      .get() as { n: number };
    return row.n > 0;
  } finally {
    probe.db.close();
  }
}

function loadOrCreateKeyFile(storeFile: string, warn?: (message: string) => void): Keyring {
  const keyFile = keyFileFor(storeFile);
  const advice =
    "anyone who can read it can decrypt the store; for shared or long-lived stores set smschannels:storeKey (pulumi config set --secret) or SMSCHANNELS_STORE_KEY";
  if (fs.existsSync(keyFile)) {
    const keyring = readKeyFile(keyFile);
    warn?.(`secrets at rest are encrypted with the key file ${keyFile}: ${advice}`);
    return keyring;
  }
  // A store without its key: a new key would make every stored secret unreadable, so say so.
  if (storeHoldsSecrets(storeFile)) {
    throw new StoreError(
      "KEY_MISSING",
      `storeKey: the store ${storeFile} holds secrets but its key file ${keyFile} is missing and no storeKey is configured; restore the key file or set smschannels:storeKey`,
      "storeKey",
    );
  }
  fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  const text = Keyring.generateKeyText();
  // `wx`: if two processes race to create it, one wins and the other reads the winner's key.
  try {
    fs.writeFileSync(keyFile, text + "\n", { mode: 0o600, flag: "wx" });
    warn?.(`generated a new key file ${keyFile} (mode 0600) to encrypt secrets at rest: ${advice}`);
    return Keyring.parse(text);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      return Keyring.parse(fs.readFileSync(keyFile, "utf8"));
    throw e;
  }
}
