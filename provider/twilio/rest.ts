import type { TwilioHttpClient, TwilioResponse } from "./http";

/** The credentials a Twilio client signs in with: the account's token, or an API key of the account. */
export type TwilioAuth =
  | { readonly accountSid: string; readonly authToken: string }
  | { readonly accountSid: string; readonly apiKeySid: string; readonly apiKeySecret: string };

const API = "https://api.twilio.com/2010-04-01";
const MESSAGING = "https://messaging.twilio.com/v1";
/** A list that pages on past this is not one the provider asked about; stop rather than loop. */
const MAX_PAGES = 50;

/**
 * A non-2xx answer from Twilio, with the fields of Twilio's error body (`code`, `message`,
 * `more_info`). Its message is Twilio's, or `[HTTP n] Failed to execute request` when the body is
 * not JSON, as the `twilio` package words it, so users see the same text as before.
 */
export class TwilioRestError extends Error {
  override readonly name = "TwilioRestError";
  readonly status: number;
  readonly code?: number;
  readonly moreInfo?: string;

  constructor(status: number, body: string) {
    const parsed = parseJson(body);
    const message = typeof parsed?.["message"] === "string" ? parsed["message"] : undefined;
    super(message ?? `[HTTP ${status}] Failed to execute request`);
    this.status = status;
    if (typeof parsed?.["code"] === "number") this.code = parsed["code"];
    if (typeof parsed?.["more_info"] === "string") this.moreInfo = parsed["more_info"];
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface AccountResource {
  readonly friendly_name?: string;
  readonly type?: string;
  readonly status?: string;
}

export interface ServiceResource {
  readonly inbound_request_url?: string | null;
  readonly status_callback?: string | null;
}

/** The Messaging Service fields the provider writes, in Twilio's parameter names. */
export interface ServiceUpdate {
  readonly InboundRequestUrl?: string;
  readonly StatusCallback?: string;
}

export interface MessageToCreate {
  readonly To: string;
  readonly Body: string;
  readonly MessagingServiceSid?: string;
  readonly From?: string;
}

/**
 * The few Twilio REST calls the provider makes, on our HTTP client (one retry policy, errors with
 * codes). The `twilio` package did the same through ~190 modules and ~50 MiB of the provider
 * process; these are plain URLs, so one object per credential costs nothing to build.
 */
export class TwilioRest {
  constructor(
    readonly auth: TwilioAuth,
    private readonly http: TwilioHttpClient,
  ) {}

  private async call<T>(method: "GET" | "POST", uri: string, data?: object): Promise<T> {
    const [username, password] =
      "authToken" in this.auth
        ? [this.auth.accountSid, this.auth.authToken]
        : [this.auth.apiKeySid, this.auth.apiKeySecret];
    const r: TwilioResponse = await this.http.request({
      method,
      uri,
      username,
      password,
      ...(data ? { data } : {}),
    });
    if (r.statusCode < 200 || r.statusCode >= 300) throw new TwilioRestError(r.statusCode, r.body);
    const body = parseJson(r.body);
    if (!body) throw new TwilioRestError(r.statusCode, r.body);
    return body as T;
  }

  /** Every item of a Messaging (v1) list, following `meta.next_page_url`. */
  private async list<T>(uri: string, key: string): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = uri;
    for (let page = 0; next && page < MAX_PAGES; page++) {
      const body: Record<string, unknown> = await this.call("GET", next);
      const items = body[key];
      if (Array.isArray(items)) out.push(...(items as T[]));
      const meta = body["meta"] as { next_page_url?: unknown } | undefined;
      next = typeof meta?.next_page_url === "string" && meta.next_page_url ? meta.next_page_url : undefined;
    }
    return out;
  }

  private account(): string {
    return `${API}/Accounts/${encodeURIComponent(this.auth.accountSid)}`;
  }

  fetchAccount(): Promise<AccountResource> {
    return this.call("GET", `${this.account()}.json`);
  }

  /** The first page of the account's incoming numbers, optionally only `phoneNumber`. */
  async incomingNumbers(options: { pageSize: number; phoneNumber?: string }): Promise<string[]> {
    const q = new URLSearchParams({ PageSize: String(options.pageSize) });
    if (options.phoneNumber !== undefined) q.set("PhoneNumber", options.phoneNumber);
    const body = await this.call<{ incoming_phone_numbers?: { phone_number?: string }[] }>(
      "GET",
      `${this.account()}/IncomingPhoneNumbers.json?${q.toString()}`,
    );
    return (body.incoming_phone_numbers ?? []).flatMap((n) => (n.phone_number ? [n.phone_number] : []));
  }

  private service(sid: string): string {
    return `${MESSAGING}/Services/${encodeURIComponent(sid)}`;
  }

  fetchService(sid: string): Promise<ServiceResource> {
    return this.call("GET", this.service(sid));
  }

  async updateService(sid: string, update: ServiceUpdate): Promise<void> {
    await this.call("POST", this.service(sid), update);
  }

  async servicePhoneNumbers(sid: string): Promise<string[]> {
    const items = await this.list<{ phone_number?: string }>(
      `${this.service(sid)}/PhoneNumbers?PageSize=100`,
      "phone_numbers",
    );
    return items.flatMap((n) => (n.phone_number ? [n.phone_number] : []));
  }

  async serviceChannelSenders(sid: string): Promise<string[]> {
    const items = await this.list<{ sender?: string }>(
      `${this.service(sid)}/ChannelSenders?PageSize=100`,
      "senders",
    );
    return items.flatMap((s) => (s.sender ? [s.sender] : []));
  }

  /** Sends one message; returns its SID. */
  async createMessage(m: MessageToCreate): Promise<string> {
    const body = await this.call<{ sid?: string }>("POST", `${this.account()}/Messages.json`, m);
    if (typeof body.sid !== "string") throw new Error("Twilio accepted the message but answered no sid");
    return body.sid;
  }
}
