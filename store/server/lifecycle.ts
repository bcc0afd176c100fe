import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "./log";

/** Listens on host:port and returns the URL it got (port 0: a free one). */
export async function listenOn(server: http.Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
}

/**
 * The requests in flight of a server, and its graceful stop: take no new connections, let the
 * requests in flight finish (up to a timeout), then close every connection. Shared by the store
 * service and the webhook receiver.
 */
export class InFlight {
  private count = 0;
  private idle: (() => void) | undefined;
  draining = false;

  get size(): number {
    return this.count;
  }

  enter(): void {
    this.count++;
  }

  leave(): void {
    if (--this.count === 0) this.idle?.();
  }

  async shutdown(server: http.Server, timeoutMs: number, logger: Logger): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    logger.info("shutting down", { inFlight: this.count });
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => {
        if (this.count === 0) resolve(true);
        else this.idle = () => resolve(true);
      }),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished)
      logger.warn("shutdown timed out; cutting off requests in flight", { inFlight: this.count });
    server.closeAllConnections();
    await closed;
    logger.info("stopped");
  }
}
