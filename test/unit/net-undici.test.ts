/**
 * net/undici.ts: the clients' undici parts, loaded by file rather than through undici's entry point
 * (issue 13: the entry costs ~90 ms of CPU in every provider process that asks Twilio anything).
 * Against a real HTTP server on 127.0.0.1: `request` on an Agent and `dispatcherRequest` on a Pool
 * send what undici's own `request(url, { dispatcher })` sends. Then the guard: should an undici
 * release move those files, the loader falls back to the entry (and this test says so, in CI).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import type { Dispatcher } from "undici";
import { loadUndiciParts, request, undiciParts, type Load, type UndiciParts } from "../../net/undici";
import { startRecordingServer, type TestServer } from "../support/http-server";

let server: TestServer;

beforeAll(async () => {
  server = await startRecordingServer((req, res, _hit, body) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ method: req.method, url: req.url, body }));
  });
});
afterAll(() => server.close());

/** A GET of `path` on `dispatcher` through `parts`; what the server saw, as it echoes it. */
async function getVia(parts: UndiciParts, dispatcher: Dispatcher, path: string): Promise<unknown> {
  const r = await parts.dispatcherRequest.call(dispatcher, { origin: server.base, path, method: "GET" });
  return r.body.json();
}

it("loads undici's parts by file, not through its entry point", () => {
  expect(undiciParts().loadedFrom).toBe("parts");
  // In a fresh process, as a provider process is: the parts, and not one module of the entry's 110.
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      `const { undiciParts } = require(${JSON.stringify(path.join(__dirname, "../../net/undici.ts"))});
       const p = undiciParts();
       const loaded = Object.keys(require.cache).filter((m) => m.includes("/node_modules/undici/"));
       console.log(JSON.stringify({ from: p.loadedFrom, entry: loaded.some((m) => m.endsWith("/undici/index.js")),
         fetch: loaded.some((m) => m.includes("/lib/web/")), count: loaded.length }));`,
    ],
    { encoding: "utf8" },
  );
  expect(child.stderr).toBe("");
  const out = JSON.parse(child.stdout.trim()) as {
    from: string;
    entry: boolean;
    fetch: boolean;
    count: number;
  };
  expect(out).toEqual({ from: "parts", entry: false, fetch: false, count: expect.any(Number) as number });
  expect(out.count).toBeLessThan(60);
});

it("request() sends the URL's path and query, the method, headers and body, on the dispatcher given", async () => {
  const agent = new (undiciParts().Agent)();
  try {
    const r = await request(agent, new URL(`${server.base}/a/b.json?x=1&y=two`), {
      method: "POST",
      headers: { "content-type": "text/plain", "x-probe": "yes" },
      body: "hello",
    });
    expect(r.statusCode).toBe(200);
    expect(await r.body.json()).toEqual({ method: "POST", url: "/a/b.json?x=1&y=two", body: "hello" });
    expect(server.seen.at(-1)?.headers["x-probe"]).toBe("yes");
  } finally {
    await agent.close();
  }
});

it("dispatcherRequest works on a Pool, whose prototype the entry point never decorated", async () => {
  const parts = undiciParts();
  const pool = new parts.Pool(server.base, { connections: 1 });
  try {
    expect((pool as unknown as { request?: unknown }).request).toBeUndefined();
    expect(await getVia(parts, pool, "/p?q=1")).toEqual({ method: "GET", url: "/p?q=1", body: "" });
  } finally {
    await pool.close();
  }
});

it("falls back to undici's entry point when a file has moved or changed shape, and still works", async () => {
  const moved: Load = (id) => {
    if (id.endsWith("/agent.js")) throw new Error(`Cannot find module '${id}'`);
    return require(id) as unknown;
  };
  const reshaped: Load = (id) => (id.endsWith("/connect.js") ? {} : (require(id) as unknown));
  for (const load of [moved, reshaped]) {
    const parts = loadUndiciParts(load);
    expect(parts.loadedFrom).toBe("entry");
    const agent = new parts.Agent();
    try {
      expect(await getVia(parts, agent, "/fallback")).toEqual({ method: "GET", url: "/fallback", body: "" });
    } finally {
      await agent.close();
    }
  }
});
