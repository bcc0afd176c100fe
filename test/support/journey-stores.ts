/** The stores a journey runs on: the embedded file, and the store service over SQLite or PostgreSQL. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CoreStore } from "../../store/core";
import { Keyring } from "../../store/crypto";
import { openEmbeddedStore } from "../../store/embedded";
import { openServiceDatabase } from "../../store/server/database";
import type { JourneyStore } from "./journey";
import { createTestDatabase } from "./postgres";
import { createToken, freePort, ServiceProcess } from "./store-process";

export type ClosableStore = JourneyStore & { close(): Promise<void> };

export async function embeddedJourneyStore(): Promise<ClosableStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-journey-embedded-"));
  const file = path.join(dir, "store.db");
  const key = Keyring.generateKeyText();
  return {
    config: { "smschannels:storePath": file },
    secrets: { "smschannels:storeKey": key },
    database: file,
    key,
    open: () => openEmbeddedStore({ path: file, key }),
    close: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The store service as its own process over `database` (a SQLite file, or PostgreSQL: a database of
 * its own on the server of `pgAdminUrl`), with a pipeline token of the scopes the README names.
 */
export async function serviceJourneyStore(pgAdminUrl?: string): Promise<ClosableStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-journey-service-"));
  const pg = pgAdminUrl ? await createTestDatabase(pgAdminUrl, "journey") : undefined;
  const database = pg?.url ?? path.join(dir, "store.db");
  const key = Keyring.generateKeyText();
  const port = await freePort();
  let service: ServiceProcess | undefined = await ServiceProcess.start(database, key, port);
  const token = createToken(database, key, "*", "read", "write", "runtime");
  return {
    config: { "smschannels:storeUrl": service.url },
    secrets: { "smschannels:storeToken": token },
    database,
    key,
    token: (sandbox, ...scopes) => createToken(database, key, sandbox, ...scopes),
    open: async () => {
      const db = await openServiceDatabase(database);
      return new CoreStore(db.backend, Keyring.parse(key));
    },
    outage: {
      stop: async () => {
        await service?.stop();
        service = undefined;
      },
      start: async () => {
        service = await ServiceProcess.start(database, key, port);
      },
    },
    close: async () => {
      await service?.stop();
      await pg?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
