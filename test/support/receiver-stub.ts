/**
 * A stand-in for the webhook receiver's health route, for tests that attach webhooks but do not
 * exercise deliveries: `GET /healthz` answers as `pulumi-sms-channels-store receive` does, every
 * other request gets 404. The whole loop runs against the real receiver in test/e2e/webhook-loop.test.ts.
 */
import { startRecordingServer, type TestServer } from "./http-server";

export const RECEIVER_HEALTH_BODY = JSON.stringify({ status: "ok", service: "pulumi-sms-channels-receiver" });

export function startReceiverHealthStub(): Promise<TestServer> {
  return startRecordingServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(RECEIVER_HEALTH_BODY);
      return;
    }
    res.writeHead(404).end();
  });
}
