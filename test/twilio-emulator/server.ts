import http, { type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ADMIN_PREFIX, handleAdmin, type AdminTarget } from "./admin";
import { authenticate, parseBasicAuth } from "./auth";
import { readBody, type RequestBody } from "./body";
import { Deliverer, type Delivery, type InboundDelivery, type StatusDelivery } from "./deliver";
import { ErrorCodes, TwilioApiError, defaultCodeFor, errorBody } from "./errors";
import { FaultQueue, type Fault, type StatusFault } from "./faults";
import { newSid } from "./ids";
import { RequestLog, type LoggedRequest } from "./request-log";
import type { ApiResponse } from "./router";
import { createRouter } from "./routes";
import { applySeed, parseSeedSpec, type SeedResult } from "./seed";
import {
  EmulatorState,
  type AccountStatus,
  type AddAccountOptions,
  type AddSenderOptions,
  type AddServiceOptions,
  type ApiKeyKind,
  type SeededAccount,
  type SeededApiKey,
  type SeededNumber,
  type SeededSender,
  type SeededService,
  type SentMessage,
  type ServiceView,
} from "./state";

export interface TwilioEmulatorOptions {
  /** Interface to listen on; 127.0.0.1 by default. */
  readonly host?: string | undefined;
  /** Port; 0 (any free port) by default. */
  readonly port?: number | undefined;
  /**
   * Origin of the absolute URLs in Messaging API answers (`url`, `links`, `meta.*_url`): the emulator's
   * own URL by default, so clients can follow them; `"twilio"` answers `https://messaging.twilio.com`
   * as Twilio does, to test that a client rewrites them. 2010 API URIs are root-relative either way.
   */
  readonly links?: "emulator" | "twilio" | undefined;
}

const TWILIO_MESSAGING_ORIGIN = "https://messaging.twilio.com";

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function statusFaultResponse(fault: StatusFault): ApiResponse {
  const code = fault.code ?? defaultCodeFor(fault.status);
  const message = fault.message ?? http.STATUS_CODES[fault.status] ?? `HTTP ${fault.status}`;
  const retryAfter = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
  return {
    status: fault.status,
    body: errorBody(fault.status, code, message),
    headers: retryAfter !== undefined ? { "Retry-After": String(retryAfter) } : {},
  };
}

function errorResponse(err: unknown): ApiResponse {
  if (err instanceof TwilioApiError) return { status: err.status, body: err.toBody(), headers: err.headers };
  console.error("twilio-emulator: internal error:", err);
  return { status: 500, body: errorBody(500, ErrorCodes.INTERNAL, "Internal Server Error") };
}

/**
 * An in-process emulator of the Twilio REST API endpoints the provider uses, on plain `node:http`.
 *
 * ```ts
 * const twilio = await TwilioEmulator.start();
 * const account = twilio.addAccount({ friendlyName: "Acme" });
 * // … point the code under test at twilio.url, then:
 * await twilio.stop();
 * ```
 */
export class TwilioEmulator implements AdminTarget {
  private readonly state = new EmulatorState();
  private readonly deliverer = new Deliverer(this.state);
  private readonly faults = new FaultQueue();
  private readonly log = new RequestLog();
  private readonly router = createRouter();
  private readonly sockets = new Set<Socket>();
  /** Wakes requests held by latency faults, when stopping. */
  private readonly sleepers = new Set<() => void>();
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** Base URL, e.g. `http://127.0.0.1:40123`: put it where `https://<sub>.twilio.com` was. */
    readonly url: string,
    private readonly messagingBase: string,
  ) {
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      void this.handle(req, res);
    });
  }

  static async start(options: TwilioEmulatorOptions = {}): Promise<TwilioEmulator> {
    const server = http.createServer();
    await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
    const address = server.address() as AddressInfo;
    let host = address.address;
    if (host === "0.0.0.0" || host === "::") host = "127.0.0.1";
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
    return new TwilioEmulator(server, url, options.links === "twilio" ? TWILIO_MESSAGING_ORIGIN : url);
  }

  /** The admin API's base URL (`<url>/__emulator`). */
  get adminUrl(): string {
    return `${this.url}${ADMIN_PREFIX}`;
  }

  /** Stops listening and closes every connection, kept-alive ones included. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      for (const wake of this.sleepers) wake();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.stopping;
  }

  // ---- seeding ----

  addAccount(opts: AddAccountOptions = {}): SeededAccount {
    return this.state.addAccount(opts);
  }

  setAccountStatus(accountSid: string, status: AccountStatus): void {
    this.state.setAccountStatus(accountSid, status);
  }

  /** Gives the account a new random auth token (returned); the old one answers 401 from then on. */
  rotateAuthToken(accountSid: string): string {
    return this.state.rotateAuthToken(accountSid);
  }

  addApiKey(accountSid: string, kind: ApiKeyKind): SeededApiKey {
    return this.state.addApiKey(accountSid, kind);
  }

  removeApiKey(keySid: string): void {
    this.state.removeApiKey(keySid);
  }

  addIncomingNumber(accountSid: string, phoneNumber: string): SeededNumber {
    return this.state.addIncomingNumber(accountSid, phoneNumber);
  }

  addService(accountSid: string, opts: AddServiceOptions = {}): SeededService {
    return this.state.addService(accountSid, opts);
  }

  /** Deletes the service: Twilio answers 404 (20404) for it from then on. */
  removeService(serviceSid: string): void {
    this.state.removeService(serviceSid);
  }

  addServicePhoneNumber(serviceSid: string, phoneNumber: string): SeededNumber {
    return this.state.addServicePhoneNumber(serviceSid, phoneNumber);
  }

  addChannelSender(serviceSid: string, sender: string, opts: AddSenderOptions = {}): SeededSender {
    return this.state.addChannelSender(serviceSid, sender, opts);
  }

  /** A Channels Sender of the account that is in no service (e.g. an OFFLINE RCS agent). */
  addSender(accountSid: string, sender: string, opts: AddSenderOptions = {}): SeededSender {
    return this.state.addSender(accountSid, sender, opts);
  }

  /** Seeds from a seed-file value (see seed.ts); the result holds the generated tokens and secrets. */
  seed(spec: unknown): SeedResult {
    return applySeed(this.state, parseSeedSpec(spec));
  }

  /** The service's current settings, as the provider left them. */
  getService(serviceSid: string): ServiceView | undefined {
    return this.state.getService(serviceSid);
  }

  // ---- what happened ----

  /** Messages accepted by CreateMessage, oldest first, with the raw body and its content type. */
  get messages(): ReadonlyArray<SentMessage> {
    return [...this.state.messages];
  }

  clearMessages(): void {
    this.state.messages.length = 0;
  }

  get requests(): ReadonlyArray<LoggedRequest> {
    return this.log.all();
  }

  clearRequests(): void {
    this.log.clear();
  }

  /** The distinct basic-auth users (AC/SK SIDs) of the logged requests, in order of first use. */
  distinctAuthUsers(): string[] {
    return this.log.distinctAuthUsers();
  }

  // ---- an application calling the API ----

  /**
   * An application sends a message as it would with Twilio: a real HTTP POST of Twilio's own form
   * parameters (`To`, `MessagingServiceSid` or `From`, `Body`, `StatusCallback`…) to this emulator's
   * Messages API, signed in with the account's auth token. Resolves with the message's SID, the one
   * `deliverStatus` then reports on; a refusal throws with Twilio's status and message.
   */
  async sendMessage(
    account: { readonly sid: string; readonly authToken: string },
    params: Readonly<Record<string, string>>,
  ): Promise<string> {
    const res = await fetch(`${this.url}/2010-04-01/Accounts/${account.sid}/Messages.json`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString("base64")}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(params).toString(),
    });
    const answer = (await res.json()) as { sid?: unknown; message?: unknown };
    if (res.status !== 201 || typeof answer.sid !== "string")
      throw new Error(`the emulator refused the message: ${res.status} ${String(answer.message)}`);
    return answer.sid;
  }

  // ---- Twilio calling the webhooks ----

  /**
   * A message from `from` (a profile number) arrives on `to` (a number of an emulated account):
   * POSTed form-encoded, signed with the account's auth token, to its service's inbound request URL.
   * Resolves with what was sent and the webhook's answer (status, content type, body).
   */
  deliverInbound(delivery: InboundDelivery): Promise<Delivery> {
    return this.deliverer.inbound(delivery);
  }

  /** A status callback (`MessageStatus`, `ErrorCode`) for an accepted message, in whatever order the test calls it. */
  deliverStatus(delivery: StatusDelivery): Promise<Delivery> {
    return this.deliverer.status(delivery);
  }

  /** Every webhook call made, oldest first. */
  get deliveries(): ReadonlyArray<Delivery> {
    return this.deliverer.deliveries;
  }

  clearDeliveries(): void {
    this.deliverer.clear();
  }

  // ---- faults ----

  injectFault(fault: Fault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  pendingFaults(): ReadonlyArray<Fault & { readonly remaining: number }> {
    return this.faults.list();
  }

  // ---- request handling ----

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private dispatch(
    method: string,
    path: string,
    query: URLSearchParams,
    body: RequestBody,
    auth?: string,
  ): ApiResponse {
    const principal = authenticate(this.state, auth);
    const route = this.router.match(method, path);
    return route.handler({
      state: this.state,
      principal,
      method,
      path,
      params: route.params,
      query,
      body,
      messagingBase: this.messagingBase,
      now: () => new Date(),
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    const path = url.pathname;
    if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
      await handleAdmin(this, req, res);
      return;
    }
    const authUser = parseBasicAuth(req.headers.authorization)?.user;
    const record = (status: number): void =>
      this.log.add({
        at,
        method,
        path,
        query: Object.fromEntries(url.searchParams),
        ...(authUser !== undefined ? { authUser } : {}),
        status,
      });

    const fault = this.faults.take(method, path);
    if (fault?.kind === "drop") {
      record(0);
      req.socket.destroy();
      return;
    }
    let response: ApiResponse;
    try {
      const body = await readBody(req);
      if (fault?.kind === "latency") await this.sleep(fault.ms);
      if (this.stopping) {
        req.socket.destroy();
        return;
      }
      response =
        fault?.kind === "status"
          ? statusFaultResponse(fault)
          : this.dispatch(method, path, url.searchParams, body, req.headers.authorization);
    } catch (err) {
      if (req.socket.destroyed) {
        // The client went away mid-request: nobody to answer.
        record(0);
        return;
      }
      response = errorResponse(err);
    }
    res.writeHead(response.status, {
      "Content-Type": "application/json; charset=utf-8",
      "Twilio-Request-Id": newSid("RQ"),
      ...response.headers,
    });
    res.end(JSON.stringify(response.body));
    record(response.status);
  }
}
