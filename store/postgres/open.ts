import { CoreStore } from "../core";
import type { Keyring } from "../crypto";
import { PostgresBackend, type PostgresBackendOptions } from "./backend";

/**
 * Opens the credential store on PostgreSQL: connects, applies missing migrations, and refuses to
 * run with keys that cannot open the stored secrets.
 */
export async function openPostgresStore(
  url: string,
  keyring: Keyring,
  options: PostgresBackendOptions = {},
): Promise<CoreStore> {
  return CoreStore.open(await PostgresBackend.open(url, options), keyring);
}
