/* global require, process, __dirname, console */
// Framework comparison for store/server/README.md. Not part of the package: run it in a scratch
// folder with the frameworks installed, e.g.
//   mkdir /tmp/fw && cp bench/store/frameworks/*.cjs /tmp/fw && cd /tmp/fw && npm init -y &&
//   npm install fastify@5 express@5 hono @hono/node-server undici@7 && node load.cjs [node,fastify,...]
// Each framework runs in its own process; this process drives it with an undici pool, 4 s per cell.
const { fork } = require("node:child_process");
const { Pool } = require("undici");

const body = JSON.stringify({
  name: "hook",
  data: {
    type: "inbound",
    keywords: { optIn: { keywords: ["START", "YES"], reply: "Welcome" } },
    defaultReply: "x".repeat(300),
  },
});

async function run(port, method, conc, ms) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conc });
  const lat = [];
  const end = Date.now() + ms;
  let i = 0;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        const r = await pool.request(
          method === "POST"
            ? {
                method,
                path: "/v1/sandboxes/prod/webhooks",
                body,
                headers: { authorization: "Bearer tkn", "content-type": "application/json" },
              }
            : {
                method,
                path: `/v1/sandboxes/prod/webhooks/whk_${i++}`,
                headers: { authorization: "Bearer tkn" },
              },
        );
        await r.body.text();
        if (r.statusCode >= 300) throw new Error("status " + r.statusCode);
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  await pool.close();
  lat.sort((a, b) => a - b);
  const at = (q) => lat[Math.floor(lat.length * q)].toFixed(2);
  return { rps: Math.round(lat.length / (ms / 1000)), p50: at(0.5), p99: at(0.99) };
}

(async () => {
  for (const fw of (process.argv[2] || "hono,express,fastify,node").split(",")) {
    const child = fork(`${__dirname}/servers.cjs`, [fw]);
    const port = await new Promise((r) => child.once("message", r));
    await run(port, "POST", 8, 3000); // warm-up
    await run(port, "GET", 8, 2000);
    for (const m of ["POST", "GET"]) {
      for (const c of [1, 32]) {
        const r = await run(port, m, c, 4000);
        console.log([fw, m, c, r.rps, r.p50, r.p99].join("\t"));
      }
    }
    child.kill();
  }
})();
