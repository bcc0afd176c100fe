/** Bearer tokens: made once, kept as hashes, scoped per sandbox, revoked; on SQLite and PostgreSQL. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  hashToken,
  PostgresBackend,
  PostgresTokenRepository,
  SqliteBackend,
  SqliteTokenRepository,
  StoreError,
  tokenAllows,
  TokenService,
  type TokenRecord,
  type TokenRepository,
} from "../../store";
import { SQLITE_MIGRATIONS } from "../../store/sqlite/migrations";
import { createTestDatabase, PG_SKIP_REASON, testPostgresUrl } from "../support/postgres";

interface Repo {
  readonly repo: TokenRepository;
  /** Every stored column of every token, as text. */
  raw(): Promise<string>;
  close(): Promise<void>;
}

async function sqliteRepo(): Promise<Repo> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-tokens-"));
  const backend = new SqliteBackend(path.join(dir, "store.db"));
  return {
    repo: new SqliteTokenRepository(backend),
    raw: () => backend.run((db) => JSON.stringify(db.prepare("SELECT * FROM api_tokens").all())),
    close: async () => {
      await backend.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresRepo(adminUrl: string): () => Promise<Repo> {
  return async () => {
    const db = await createTestDatabase(adminUrl);
    const backend = await PostgresBackend.open(db.url);
    return {
      repo: new PostgresTokenRepository(backend),
      raw: async () => JSON.stringify((await backend.query("SELECT * FROM api_tokens")).rows),
      close: async () => {
        await backend.close();
        await db.drop();
      },
    };
  };
}

function tokenCases(title: string, open: () => Promise<Repo>): void {
  describe(title, () => {
    let r: Repo;
    let clock: number;
    let service: TokenService;
    beforeEach(async () => {
      r = await open();
      clock = Date.parse("2025-03-01T10:00:00.000Z");
      service = new TokenService(r.repo, () => new Date(clock), 60_000);
    });
    afterEach(() => r.close());

    test("a token is shown once and kept only as its SHA-256", async () => {
      const { token, record } = await service.create({
        sandbox: "prod",
        scopes: ["write", "read"],
        description: "ci",
      });
      expect(token).toMatch(/^smsst_[A-Za-z0-9_-]{43}$/);
      expect(record).toEqual({
        id: expect.stringMatching(/^tok_/),
        sandbox: "prod",
        scopes: ["read", "write"],
        description: "ci",
        createdAt: "2025-03-01T10:00:00.000Z",
      });
      const raw = await r.raw();
      expect(raw).not.toContain(token);
      expect(raw).toContain(hashToken(token));
      expect(await service.authenticate(token)).toEqual(record);
      expect(await service.list()).toEqual([{ ...record, lastUsedAt: "2025-03-01T10:00:00.000Z" }]);
    });

    test("unknown, malformed and revoked tokens authenticate as nobody", async () => {
      const { token, record } = await service.create({ sandbox: "*", scopes: ["read"] });
      expect(
        await service.authenticate(token.slice(0, -1) + (token.endsWith("A") ? "B" : "A")),
      ).toBeUndefined();
      expect(await service.authenticate("Bearer " + token)).toBeUndefined();
      expect(await service.authenticate("")).toBeUndefined();
      clock += 1000;
      expect(await service.revoke(record.id)).toBe("revoked");
      expect(await service.revoke(record.id)).toBe("already-revoked");
      expect(await service.revoke("tok_nothere")).toBe("absent");
      expect(await service.authenticate(token)).toBeUndefined();
      expect((await service.list())[0]?.revokedAt).toBe("2025-03-01T10:00:01.000Z");
    });

    test("last use is written at most once a minute", async () => {
      const { token, record } = await service.create({ sandbox: "prod", scopes: ["read"] });
      await service.authenticate(token);
      clock += 30_000;
      await service.authenticate(token);
      expect((await service.list())[0]?.lastUsedAt).toBe("2025-03-01T10:00:00.000Z");
      clock += 31_000;
      await service.authenticate(token);
      expect((await service.list()).find((t) => t.id === record.id)?.lastUsedAt).toBe(
        "2025-03-01T10:01:01.000Z",
      );
    });

    test("sandbox and scopes are checked when a token is made", async () => {
      await expect(service.create({ sandbox: "Prod!", scopes: ["read"] })).rejects.toMatchObject({
        code: "INVALID_INPUT",
        field: "sandbox",
      });
      await expect(service.create({ sandbox: "prod", scopes: [] })).rejects.toBeInstanceOf(StoreError);
      await expect(service.create({ sandbox: "prod", scopes: ["admin" as "read"] })).rejects.toMatchObject({
        field: "scope",
      });
    });
  });
}

tokenCases("tokens on SQLite", sqliteRepo);
const pgUrl = testPostgresUrl();
if (pgUrl) tokenCases("tokens on PostgreSQL", postgresRepo(pgUrl));
else describe.skip(`tokens on PostgreSQL (${PG_SKIP_REASON})`, () => tokenCases("cases", postgresRepo("")));

describe("token scopes", () => {
  const token = (sandbox: string, ...scopes: TokenRecord["scopes"]): TokenRecord => ({
    id: "tok_1",
    sandbox,
    scopes,
    createdAt: "",
  });
  test.each([
    ["read", "prod", "read", true],
    ["read", "prod", "write", false],
    ["read", "prod", "runtime", false],
    ["write", "prod", "read", true],
    ["write", "prod", "runtime", false],
    ["runtime", "prod", "read", true],
    ["runtime", "prod", "write", false],
    ["runtime", "prod", "runtime", true],
    ["write", "dev", "read", false],
  ] as const)(
    "a %s token of sandbox prod, asked for sandbox %s and scope %s: %s",
    (scope, sandbox, needed, allowed) => {
      expect(tokenAllows(token("prod", scope), sandbox, needed)).toBe(allowed);
    },
  );
  test("a token for * works in every sandbox; a revoked one nowhere", () => {
    expect(tokenAllows(token("*", "write"), "anything", "write")).toBe(true);
    expect(tokenAllows({ ...token("*", "write"), revokedAt: "x" }, "prod", "read")).toBe(false);
  });
});

test("a SQLite store made before tokens existed gains the tokens table on open", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-migrate-"));
  try {
    const file = path.join(dir, "store.db");
    const v1 = SQLITE_MIGRATIONS.filter((m) => m.version === 1);
    new SqliteBackend(file, { migrations: v1 }).db.close();
    const backend = new SqliteBackend(file);
    const versions = backend.db.prepare("SELECT version FROM schema_migrations ORDER BY version").all();
    // Every later migration too (3: the webhook receiver's tables, 4: secret format).
    expect(versions).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version })));
    expect(backend.db.prepare("SELECT COUNT(*) AS n FROM api_tokens").get()).toEqual({ n: 0 });
    backend.db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
