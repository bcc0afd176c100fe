/** Real HTTP(S) servers on 127.0.0.1:0 that record what they receive, for client tests. */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Subject CN of the client certificate, on https servers. */
  peerCn?: string;
}

export interface TestServer {
  readonly base: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/** `hit` counts requests from 1; `body` is the whole request body. */
export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  hit: number,
  body: string,
) => void;

/** Serves `handler` over http, or over https with `tls`, recording every request first. */
export async function startRecordingServer(handler: Handler, tls?: https.ServerOptions): Promise<TestServer> {
  const seen: Seen[] = [];
  const listener: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const entry: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      if (tls) {
        const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
        if (typeof cn === "string") entry.peerCn = cn;
      }
      seen.push(entry);
      handler(req, res, seen.length, body);
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nobody listens on (bound once, then closed): free to listen on, or refused to connect to. */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
