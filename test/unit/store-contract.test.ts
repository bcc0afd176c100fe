/**
 * One store suite, four stores: SQLite and PostgreSQL, each directly (CoreStore) and through the
 * HTTP service and its client (HttpStore). The PostgreSQL half needs SMSCHANNELS_TEST_PG_URL; without
 * it, it is reported as skipped, with the reason in its title.
 */
import { defineStoreContract } from "../support/store-contract";
import {
  postgresHarness,
  postgresHttpHarness,
  sqliteHarness,
  sqliteHttpHarness,
} from "../support/store-harness";
import { PG_SKIP_REASON, testPostgresUrl } from "../support/postgres";

defineStoreContract("store contract on SQLite", sqliteHarness);
defineStoreContract("store contract on SQLite through the HTTP service", sqliteHttpHarness);

const pgUrl = testPostgresUrl();
if (pgUrl) {
  defineStoreContract("store contract on PostgreSQL", postgresHarness(pgUrl));
  defineStoreContract("store contract on PostgreSQL through the HTTP service", postgresHttpHarness(pgUrl));
} else {
  describe.skip(`store contract on PostgreSQL (${PG_SKIP_REASON})`, () => {
    defineStoreContract("directly", postgresHarness(""));
    defineStoreContract("through the HTTP service", postgresHttpHarness(""));
  });
}
