import type { ProviderSettings } from "../config";

/** What `GET {webhookBaseUrl}/healthz` answers when the webhook receiver is there (contract). */
export const RECEIVER_HEALTH = { status: "ok", service: "pulumi-sms-channels-receiver" } as const;

const HEALTH_TIMEOUT_MS = 5_000;
/** Enough for the receiver's answer; anything longer is not it. */
const MAX_BODY_BYTES = 4096;

/** The command that starts the receiver for these settings, for error messages. */
export function receiverCommand(settings: ProviderSettings, baseUrl: string): string {
  const database = settings.storeUrl
    ? "<the store service's database: SQLite file or postgres://…>"
    : settings.storePath;
  return `pulumi-sms-channels-store receive --database ${database} --listen 127.0.0.1:8788 --public-url ${baseUrl} (reachable at that URL)`;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * What `GET {baseUrl}/healthz` found, or undefined when it answered as the receiver. Never throws:
 * the caller words the refusal. No redirect is followed: the receiver answers at its own URL. One
 * attempt, no retry policy: the question is whether the receiver answers now, before the service changes.
 */
export async function probeReceiver(baseUrl: string): Promise<string | undefined> {
  const url = `${baseUrl}/healthz`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "GET",
      redirect: "manual",
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    const detail =
      e instanceof Error && e.name === "TimeoutError"
        ? `no answer within ${HEALTH_TIMEOUT_MS / 1000} s`
        : typeof cause?.code === "string"
          ? cause.code
          : e instanceof Error
            ? e.message
            : String(e);
    return `GET ${url} failed: ${detail}`;
  }
  const text = await readCapped(res).catch(() => "");
  const type = res.headers.get("content-type") ?? "no content type";
  if (res.status !== 200) return `GET ${url} answered ${res.status} (${type}), not the receiver's 200`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `GET ${url} answered 200 with ${type} that is not JSON`;
  }
  const b = body as Record<string, unknown> | null;
  if (b?.["status"] !== RECEIVER_HEALTH.status || b["service"] !== RECEIVER_HEALTH.service) {
    return `GET ${url} answered 200, but not as the receiver (expected ${JSON.stringify(RECEIVER_HEALTH)})`;
  }
  return undefined;
}
