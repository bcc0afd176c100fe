/**
 * readBody: a body read to its end makes no error when its request closes (every request does, and
 * an Error's stack cost a busy receiver a few % of its CPU); one cut short is still refused.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as errors from "../../store/errors";
import { readBody } from "../../store/server/http-io";

async function withServer(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  work: (port: number) => Promise<void>,
): Promise<void> {
  const server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await work((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test("a body read to its end: no error is made when the request closes", async () => {
  const made = jest.spyOn(errors, "StoreError");
  const closed: Promise<void>[] = [];
  await withServer(
    (req, res) => {
      closed.push(new Promise((resolve) => req.once("close", () => setImmediate(resolve))));
      void readBody(req, 1024).then((body) => res.end(body));
    },
    async (port) => {
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: `hello ${i}` });
        expect(await r.text()).toBe(`hello ${i}`);
      }
    },
  );
  await Promise.all(closed);
  expect(made).not.toHaveBeenCalled();
  made.mockRestore();
});

test("a request closed before its body ended is refused", async () => {
  let outcome: Promise<unknown> | undefined;
  await withServer(
    (req) => {
      outcome = readBody(req, 1024).then(
        () => "read",
        () => "refused",
      );
    },
    async (port) => {
      const req = http.request({
        port,
        host: "127.0.0.1",
        method: "POST",
        headers: { "content-length": "100" },
      });
      req.on("error", () => undefined);
      req.write("only part of it");
      await new Promise((r) => setTimeout(r, 50));
      req.destroy();
      await new Promise((r) => setTimeout(r, 50));
    },
  );
  expect(await outcome).toBe("refused");
});
