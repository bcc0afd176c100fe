/** TwiML answers: a `<Response>` with at most one `<Message>`, every character of the text escaped. */

export function escapeXml(text: string): string {
  // Characters XML 1.0 does not allow at all are dropped: no escape makes them legal.
  const legal = text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "");
  return legal.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;",
  );
}

export function twiml(reply: string | undefined): string {
  const message = reply === undefined || reply === "" ? "" : `<Message>${escapeXml(reply)}</Message>`;
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${message}</Response>`;
}
