/* global require, process, Buffer */
// The same two routes on each HTTP framework considered for the store service: POST a record (JSON
// body, bearer check) and GET one by id. Started by load.cjs as `node servers.cjs <framework>`.
const which = process.argv[2];
const record = (sandbox, id, body) => ({
  id,
  sandbox,
  kind: "webhook",
  name: body?.name ?? "x",
  version: 1,
  data: body?.data ?? {},
  refs: [],
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});
const authOk = (h) => h === "Bearer tkn";
let n = 0;

async function main() {
  if (which === "node") {
    const http = require("node:http");
    const re = /^\/v1\/sandboxes\/([a-z0-9-]+)\/webhooks(?:\/([A-Za-z0-9_]+))?$/;
    const send = (res, status, body) => {
      const out = JSON.stringify(body);
      res
        .writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(out) })
        .end(out);
    };
    const srv = http.createServer((req, res) => {
      const m = re.exec(req.url.split("?")[0]);
      if (!m || !authOk(req.headers.authorization)) return void res.writeHead(401).end();
      if (req.method === "POST" && !m[2]) {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () =>
          send(res, 201, record(m[1], "whk_" + ++n, JSON.parse(Buffer.concat(chunks).toString()))),
        );
      } else if (req.method === "GET" && m[2]) send(res, 200, record(m[1], m[2]));
      else res.writeHead(405).end();
    });
    srv.listen(0, "127.0.0.1", () => process.send(srv.address().port));
  } else if (which === "fastify") {
    const app = require("fastify")({ logger: false, bodyLimit: 65536 });
    app.addHook("onRequest", async (req, reply) => {
      if (!authOk(req.headers.authorization)) reply.code(401).send();
    });
    app.post("/v1/sandboxes/:s/webhooks", async (req, reply) => {
      reply.code(201);
      return record(req.params.s, "whk_" + ++n, req.body);
    });
    app.get("/v1/sandboxes/:s/webhooks/:id", async (req) => record(req.params.s, req.params.id));
    await app.listen({ port: 0, host: "127.0.0.1" });
    process.send(app.server.address().port);
  } else if (which === "express") {
    const express = require("express");
    const app = express();
    app.use((req, res, next) => (authOk(req.headers.authorization) ? next() : res.status(401).end()));
    app.post("/v1/sandboxes/:s/webhooks", express.json({ limit: "64kb" }), (req, res) =>
      res.status(201).json(record(req.params.s, "whk_" + ++n, req.body)),
    );
    app.get("/v1/sandboxes/:s/webhooks/:id", (req, res) => res.json(record(req.params.s, req.params.id)));
    const srv = app.listen(0, "127.0.0.1", () => process.send(srv.address().port));
  } else if (which === "hono") {
    const { Hono } = require("hono");
    const { serve } = require("@hono/node-server");
    const app = new Hono();
    app.use(async (c, next) => {
      if (!authOk(c.req.header("authorization"))) return c.body(null, 401);
      await next();
    });
    app.post("/v1/sandboxes/:s/webhooks", async (c) =>
      c.json(record(c.req.param("s"), "whk_" + ++n, await c.req.json()), 201),
    );
    app.get("/v1/sandboxes/:s/webhooks/:id", (c) => c.json(record(c.req.param("s"), c.req.param("id"))));
    serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => process.send(info.port));
  }
}
main();
