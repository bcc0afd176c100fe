/**
 * A vendor's answer is the attacker's text when the vendor URL is theirs (issue 10: "never echo a
 * vendor's response body beyond a short, sanitized summary"). A real loopback vendor answers a
 * refusal with long, hostile or secret-bearing bodies; the error shows the status and at most 80
 * printable characters, without control characters, HTML, the credential or anything token-like.
 */
import { CustomVendorClient, CustomVendorError } from "../../net/vendor";
import { startRecordingServer, type TestServer } from "../support/http-server";

const TOKEN = "bearer-secret-0123456789";
const JWT = `eyJhbGciOiJIUzI1NiJ9.${"eyJzdWIiOiJhZG1pbiJ9".repeat(3)}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;

let body = "";
let contentType = "application/json";
let vendor: TestServer;
// The vendor here is on loopback: the SSRF guard (its own tests in ssrf.test.ts) is lifted.
const client = new CustomVendorClient({ allowPrivateHosts: true, maxAttempts: 1 });
beforeAll(async () => {
  vendor = await startRecordingServer((_req, res) =>
    res.writeHead(400, { "content-type": contentType }).end(body),
  );
});
afterAll(async () => {
  await client.close();
  await vendor.close();
});

/** The message of the error a refusal with `answer` gives. */
async function refusalWith(answer: string, type = "application/json"): Promise<string> {
  body = answer;
  contentType = type;
  const e = await client
    .send({ providerUrl: `${vendor.base}/send`, auth: { type: "bearer", token: TOKEN }, payload: "{}" })
    .then(
      () => undefined,
      (x: unknown) => x,
    );
  expect(CustomVendorError.isInstance(e)).toBe(true);
  expect(e).toMatchObject({ code: "rejected", status: 400 });
  return (e as Error).message;
}

/** What follows "HTTP 400" in the message. */
const summaryOf = (message: string): string => message.slice(message.indexOf("HTTP 400") + "HTTP 400".length);

test("a long answer: the status and at most 80 characters of it", async () => {
  const message = await refusalWith(JSON.stringify({ error: "bad request", detail: "x ".repeat(400) }));
  expect(message).toContain("HTTP 400");
  const summary = summaryOf(message).replace(/^: /, "").replace(/…$/, "");
  expect([...summary].length).toBeLessThanOrEqual(80);
  expect(message.length).toBeLessThan(250);
});

test("control characters, ANSI escapes and bidi overrides are stripped", async () => {
  const message = await refusalWith('{"error":"bad\u001b[31m red\u0007\r\nforged line\u202eevil\u200b"}');
  expect(message).toContain("bad");
  // eslint-disable-next-line no-control-regex -- what must not be there
  expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u200b]/);
});

test("an HTML page is named, never quoted", async () => {
  const message = await refusalWith(
    "<!DOCTYPE html><html><body><h1>Internal</h1><script>alert(1)</script>10.0.0.5 admin panel</body></html>",
    "text/html",
  );
  expect(message).toContain("HTTP 400 (an HTML page, not quoted)");
  expect(message).not.toMatch(/<|script|admin panel|10\.0\.0\.5/);
});

test("the credential, and token-like runs the vendor echoes, are cut out", async () => {
  const message = await refusalWith(
    JSON.stringify({ error: "invalid", echo: `Bearer ${TOKEN}`, session: JWT, note: TOKEN }),
  );
  expect(message).not.toContain(TOKEN);
  expect(message).not.toContain(JWT.slice(0, 20));
  expect(message).toContain("[redacted]");
});
