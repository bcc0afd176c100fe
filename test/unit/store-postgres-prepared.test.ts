/**
 * Named queries on the PostgreSQL backend are prepared statements: parsed and planned once per
 * connection. The webhook receiver names its per-delivery statements (see PostgresLedger).
 */
import { PostgresBackend } from "../../store/postgres/backend";
import { PostgresLedger } from "../../store/receiver/postgres-ledger";
import { createTestDatabase, PG_SKIP_REASON, testPostgresUrl, type TestDatabase } from "../support/postgres";

const adminUrl = testPostgresUrl();
const d = adminUrl ? describe : describe.skip;

d(adminUrl ? "prepared statements" : `prepared statements (${PG_SKIP_REASON})`, () => {
  let db: TestDatabase;
  let backend: PostgresBackend;
  beforeAll(async () => {
    db = await createTestDatabase(adminUrl as string, "smsc_prepared");
    // One connection, so the statements' list read below is that connection's.
    backend = await PostgresBackend.open(db.url, { maxConnections: 1 });
  });
  afterAll(async () => {
    await backend.close();
    await db.drop();
  });

  const prepared = async (): Promise<string[]> =>
    (await backend.query<{ name: string }>("SELECT name FROM pg_prepared_statements ORDER BY name")).rows.map(
      (r) => r.name,
    );

  it("a named query is prepared once on its connection and answers like an unnamed one", async () => {
    expect(await prepared()).toEqual([]);
    for (const n of [1, 2, 3]) {
      const { rows } = await backend.query<{ n: number }>("SELECT $1::int AS n", [n], "smsc_test_echo");
      expect(rows).toEqual([{ n }]);
    }
    expect(await prepared()).toEqual(["smsc_test_echo"]);
  });

  it("the receiver's webhook lookup is one of them", async () => {
    const ledger = new PostgresLedger(backend);
    expect(await ledger.loadTarget("whk_none")).toEqual({});
    expect(await prepared()).toContain("smsc_receiver_target");
  });
});
