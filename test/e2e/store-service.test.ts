import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keyring } from "../../store/crypto";
import { openServiceDatabase } from "../../store/server/database";
import { CoreStore } from "../../store/core";
import {
  changes,
  diagnostics,
  expectFailure,
  expectNoChanges,
  expectSuccess,
  REPO_ROOT,
  TestStack,
} from "../support/pulumi";
import { createToken, freePort, ServiceProcess } from "../support/store-process";

/**
 * Stacks on the shared store service (its own process, `pulumi-sms-channels-store serve`), as teams
 * and pipelines run them. The service's database is PostgreSQL when SMSCHANNELS_TEST_PG_URL is set
 * (CI), else a SQLite file.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-e2e-service-"));
const key = Keyring.generateKeyText();
let database: string;
let port: number;
let service: ServiceProcess;
let writeToken: string;
const stacks: TestStack[] = [];

beforeAll(async () => {
  const pg = process.env["SMSCHANNELS_TEST_PG_URL"];
  database = pg ?? path.join(dir, "store.db");
  if (pg) {
    // A clean slate: this suite counts records.
    const db = await openServiceDatabase(pg);
    const store = new CoreStore(db.backend, Keyring.parse(key));
    for (const sandbox of ["team-a", "team-b", "crash"]) {
      for (const kind of ["channel-configuration", "webhook", "api-credential"] as const) {
        for (const r of await store.list(sandbox, kind))
          await store.delete(sandbox, kind, r.id, { actor: "e2e-reset" }).catch(() => undefined);
      }
    }
    await store.close();
  }
  port = await freePort();
  service = await ServiceProcess.start(database, key, port);
  writeToken = createToken(database, key, "*", "read", "write");
});
afterAll(async () => {
  for (const s of stacks) s.cleanup();
  await service?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function serviceStack(prefix: string, sandbox: string, token: string, count = 8) {
  const s = await TestStack.create("many-channels", {
    config: {
      "test:prefix": prefix,
      "test:count": String(count),
      "test:sandbox": sandbox,
      "smschannels:storeUrl": service.url,
      "smschannels:validation": "off",
    },
    secrets: { "test:authToken": "a".repeat(32), "smschannels:storeToken": token },
  });
  stacks.push(s);
  return s;
}

async function serviceRecords(sandbox: string, kind: "api-credential" | "channel-configuration") {
  const db = await openServiceDatabase(database);
  const store = new CoreStore(db.backend, Keyring.parse(key));
  try {
    return await store.list(sandbox, kind);
  } finally {
    await store.close();
  }
}

test("two stacks run `pulumi up` at once against one service", async () => {
  const [a, b] = await Promise.all([
    serviceStack("alpha", "team-a", writeToken),
    serviceStack("beta", "team-b", writeToken),
  ]);
  const [upA, upB] = await Promise.all([a.up(), b.up()]);
  expectSuccess(upA);
  expectSuccess(upB);
  expect(changes(upA)["create"]).toBe(10);
  expect(changes(upB)["create"]).toBe(10);
  expect(await serviceRecords("team-a", "channel-configuration")).toHaveLength(8);
  expect(await serviceRecords("team-b", "channel-configuration")).toHaveLength(8);
  // The state holds no store token and no secret.
  const state = await a.exportText();
  expect(state).not.toContain(writeToken);
  const [downA, downB] = await Promise.all([a.destroy(), b.destroy()]);
  expectSuccess(downA);
  expectSuccess(downB);
  expect(await serviceRecords("team-a", "api-credential")).toHaveLength(0);
});

test("the service killed in the middle of an up: the next up converges with no duplicate record", async () => {
  const s = await serviceStack("crash", "crash", writeToken, 12);
  const seenBefore = service.logs.length;
  const up = s.up();
  // Kill it once a few channel records have been written, while others are still to come.
  const deadline = Date.now() + 60_000;
  while (
    service.logs.slice(seenBefore).filter((l) => l.includes('"POST"') && l.includes('"status":201')).length <
    4
  ) {
    if (Date.now() > deadline)
      throw new Error(`no creates seen:\n${service.logs.slice(seenBefore).join("\n")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await service.kill();
  const failed = expectFailure(await up);
  expect(diagnostics(failed, "error")).toMatch(/could not reach|UNAVAILABLE|ECONNREFUSED|unavailable/i);

  service = await ServiceProcess.start(database, key, port);
  const again = expectSuccess(await s.up());
  expect(changes(again)["create"] ?? 0).toBeGreaterThan(0);
  const channels = await serviceRecords("crash", "channel-configuration");
  expect(channels).toHaveLength(12);
  expect(new Set(channels.map((c) => c.name)).size).toBe(12);
  expect(await serviceRecords("crash", "api-credential")).toHaveLength(1);
  // Every resource in state names a record that exists; nothing is left to do.
  const ids = new Set(channels.map((c) => c.id));
  const stateChannels = (await s.exportState()).filter((r) => r.type.endsWith(":ChannelConfiguration"));
  expect(stateChannels).toHaveLength(12);
  for (const r of stateChannels) expect(ids.has(String(r.id))).toBe(true);
  expectNoChanges(await s.preview());
  expectSuccess(await s.destroy());
});

test("a wrong token gives a clear 401 error; a token of another sandbox a clear 403", async () => {
  const wrong = await serviceStack("wrong", "team-a", "sms_" + "0".repeat(40), 1);
  const r401 = expectFailure(await wrong.up());
  expect(diagnostics(r401, "error")).toContain("the store token was refused");
  expect(diagnostics(r401, "error")).toContain("smschannels:storeToken");
  expect(r401.output).not.toContain("0".repeat(40));

  const otherSandbox = createToken(database, key, "team-b", "read", "write");
  const elsewhere = await serviceStack("elsewhere", "team-a", otherSandbox, 1);
  // Preview (the check before any write) learns the token's sandbox from GET /v1/token.
  const r403 = expectFailure(await elsewhere.preview());
  const said = diagnostics(r403, "error");
  expect(said).toMatch(
    /smschannels:storeToken \(or SMSCHANNELS_STORE_TOKEN\): .* is for sandbox "team-b", not "team-a"/,
  );
  // A setting, not an input: the engine must not print it as an input whose value is unset.
  expect(said).not.toContain("{<nil>}");
  expect(r403.output).not.toContain(otherSandbox);
  // The command it prints works as printed, run by an admin with the service's database.
  const command = /npx pulumi-sms-channels-store token create [^\n"]*/.exec(said)?.[0];
  expect(command).toBe("npx pulumi-sms-channels-store token create --sandbox team-a --scope write");
  const made = execFileSync("bash", ["-c", command!], {
    cwd: REPO_ROOT,
    env: { ...process.env, SMSCHANNELS_STORE_DATABASE: database, SMSCHANNELS_STORE_KEY: key },
    encoding: "utf8",
  }).trim();
  await elsewhere.setConfig("smschannels:storeToken", made, true);
  expectSuccess(await elsewhere.preview());
});

test("a store URL that does not answer, answers 404 where the service cannot, or is http:// to another host, stops the preview naming smschannels:storeUrl", async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  for (const [url, says] of [
    [
      closed,
      /smschannels:storeUrl \(or SMSCHANNELS_STORE_URL\): the store service at http:\/\/127\.0\.0\.1:\d+ could not be reached/,
    ],
    [
      "http://10.1.2.3:8787",
      /smschannels:storeUrl \(or SMSCHANNELS_STORE_URL\): http:\/\/ to 10\.1\.2\.3 would send the store token in clear text: use https:\/\//,
    ],
    [
      `${service.url}/store`,
      /smschannels:storeUrl \(or SMSCHANNELS_STORE_URL\): .* answered 404 to GET \/store\/v1\/token, which the store service always answers/,
    ],
  ] as const) {
    const s = await serviceStack(`unusable-${stacks.length}`, "team-a", writeToken, 1);
    await s.setConfig("smschannels:storeUrl", url);
    const r = expectFailure(await s.preview());
    expect(diagnostics(r, "error")).toMatch(says);
    expect(r.output).not.toContain(writeToken);
  }
});
