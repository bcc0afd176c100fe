import { CHANNEL_ADDRESS, friendlyNumber, isE164 } from "./format";
import { newSecret, newSid } from "./ids";

/** The emulated Twilio world: accounts, their keys, numbers, Messaging Services, senders and messages. */

export type AccountStatus = "active" | "suspended" | "closed";
export type AccountType = "Full" | "Trial";
export type ApiKeyKind = "main" | "standard";
export type HttpMethod = "GET" | "POST";
/** `status` of a Channels Sender (Messaging v2, `channels_sender_enum_status`). */
export const SENDER_STATUSES = [
  "CREATING",
  "ONLINE",
  "OFFLINE",
  "PENDING_VERIFICATION",
  "VERIFYING",
  "ONLINE:UPDATING",
  "TWILIO_REVIEW",
  "DRAFT",
  "STUBBED",
] as const;
export type SenderStatus = (typeof SENDER_STATUSES)[number];

export interface Account {
  readonly sid: string;
  authToken: string;
  friendlyName: string;
  status: AccountStatus;
  readonly type: AccountType;
  readonly dateCreated: Date;
  dateUpdated: Date;
}

export interface ApiKey {
  readonly sid: string;
  readonly secret: string;
  readonly accountSid: string;
  readonly kind: ApiKeyKind;
  readonly dateCreated: Date;
}

export interface IncomingNumber {
  readonly sid: string;
  readonly accountSid: string;
  readonly phoneNumber: string;
  readonly friendlyName: string;
  readonly dateCreated: Date;
  readonly dateUpdated: Date;
  /** The Messaging Service whose sender pool holds the number (a number is in one service at most). */
  serviceSid: string | null;
  /** When it joined that service. */
  dateAddedToService: Date | null;
}

/** A Channels Sender (`rcs:acme_agent`, `whatsapp:+1…`): account-wide, and in zero or more services. */
export interface ChannelSender {
  readonly sid: string;
  readonly accountSid: string;
  readonly senderId: string;
  status: SenderStatus;
  readonly profileName: string | null;
  readonly dateCreated: Date;
  dateUpdated: Date;
}

export interface MessagingService {
  readonly sid: string;
  readonly accountSid: string;
  friendlyName: string;
  inboundRequestUrl: string | null;
  inboundMethod: HttpMethod;
  fallbackUrl: string | null;
  fallbackMethod: HttpMethod;
  statusCallback: string | null;
  stickySender: boolean;
  mmsConverter: boolean;
  smartEncoding: boolean;
  scanMessageContent: "inherit" | "enable" | "disable";
  fallbackToLongCode: boolean;
  areaCodeGeomatch: boolean;
  synchronousValidation: boolean;
  validityPeriod: number;
  usecase: string;
  useInboundWebhookOnNumber: boolean;
  /** Advanced Opt-Out (a console setting, not in the API): Twilio answers its keywords itself and sends `OptOutType`. */
  advancedOptOut: boolean;
  readonly dateCreated: Date;
  dateUpdated: Date;
  /** Channel senders in the pool: sender SID → date added. */
  readonly senders: Map<string, Date>;
}

/** A message the emulator accepted, as tests read it. */
export interface SentMessage {
  readonly sid: string;
  readonly accountSid: string;
  readonly to: string;
  readonly from: string | null;
  readonly body: string | null;
  readonly messagingServiceSid: string | null;
  readonly status: "queued" | "accepted";
  /** Every parameter of the request, as strings. */
  readonly params: Readonly<Record<string, string>>;
  /** The request's Content-Type and its body, as sent. */
  readonly contentType: string;
  readonly rawBody: string;
  /** The basic-auth user that sent it (AC or SK SID). */
  readonly authUser: string;
  readonly dateCreated: Date;
}

/** What a test reads back about a service. */
export interface ServiceView {
  readonly sid: string;
  readonly accountSid: string;
  readonly friendlyName: string;
  readonly inboundRequestUrl: string | null;
  readonly inboundMethod: HttpMethod;
  readonly fallbackUrl: string | null;
  readonly statusCallback: string | null;
  readonly useInboundWebhookOnNumber: boolean;
  readonly phoneNumbers: readonly string[];
  readonly channelSenders: readonly string[];
  readonly dateUpdated: string;
}

export interface AddAccountOptions {
  readonly friendlyName?: string | undefined;
  readonly status?: AccountStatus | undefined;
  readonly type?: AccountType | undefined;
}

export interface AddServiceOptions {
  readonly friendlyName?: string | undefined;
  readonly inboundRequestUrl?: string | undefined;
  readonly statusCallback?: string | undefined;
  /** E.164 numbers; each becomes an incoming number of the account when it is not one yet. */
  readonly phoneNumbers?: readonly string[] | undefined;
  /** Channel addresses such as `rcs:acme_agent` or `whatsapp:+15551234567`. */
  readonly channelSenders?: readonly string[] | undefined;
  /** Advanced Opt-Out on: inbound deliveries of its keywords carry `OptOutType`. */
  readonly advancedOptOut?: boolean | undefined;
}

export interface AddSenderOptions {
  readonly status?: SenderStatus | undefined;
  readonly profileName?: string | undefined;
}

export interface SeededAccount {
  readonly sid: string;
  readonly authToken: string;
  readonly friendlyName: string;
  readonly status: AccountStatus;
  readonly type: AccountType;
}

export interface SeededApiKey {
  readonly sid: string;
  readonly secret: string;
  readonly accountSid: string;
  readonly kind: ApiKeyKind;
}

export interface SeededNumber {
  readonly sid: string;
  readonly phoneNumber: string;
  readonly accountSid: string;
}

export interface SeededSender {
  readonly sid: string;
  readonly sender: string;
  readonly senderType: string;
  readonly status: SenderStatus;
  readonly accountSid: string;
}

export interface SeededService {
  readonly sid: string;
  readonly accountSid: string;
  readonly friendlyName: string;
  readonly inboundRequestUrl: string | null;
  readonly statusCallback: string | null;
  readonly phoneNumbers: readonly SeededNumber[];
  readonly channelSenders: readonly SeededSender[];
}

/** `RCS`, `WhatsApp` or `Messenger`: the `sender_type` of a channel address. */
export function senderTypeOf(senderId: string): string {
  const prefix = CHANNEL_ADDRESS.exec(senderId)?.[1];
  switch (prefix) {
    case "rcs":
      return "RCS";
    case "whatsapp":
      return "WhatsApp";
    case "messenger":
      return "Messenger";
    default:
      return "Unknown";
  }
}

function checkUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what}: not a URL: ${value}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`${what}: not http(s): ${value}`);
  return value;
}

export class EmulatorState {
  readonly accounts = new Map<string, Account>();
  readonly apiKeys = new Map<string, ApiKey>();
  readonly numbers = new Map<string, IncomingNumber>();
  readonly services = new Map<string, MessagingService>();
  readonly senders = new Map<string, ChannelSender>();
  readonly messages: SentMessage[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  addAccount(opts: AddAccountOptions = {}): SeededAccount {
    const at = this.now();
    const account: Account = {
      sid: newSid("AC"),
      authToken: newSecret(),
      friendlyName: opts.friendlyName ?? "Emulated account",
      status: opts.status ?? "active",
      type: opts.type ?? "Full",
      dateCreated: at,
      dateUpdated: at,
    };
    this.accounts.set(account.sid, account);
    return this.seededAccount(account);
  }

  setAccountStatus(accountSid: string, status: AccountStatus): void {
    const account = this.requireAccount(accountSid);
    account.status = status;
    account.dateUpdated = this.now();
  }

  /** Gives the account a new random auth token; the old one stops working at once. */
  rotateAuthToken(accountSid: string): string {
    const account = this.requireAccount(accountSid);
    account.authToken = newSecret();
    account.dateUpdated = this.now();
    return account.authToken;
  }

  addApiKey(accountSid: string, kind: ApiKeyKind): SeededApiKey {
    this.requireAccount(accountSid);
    const key: ApiKey = { sid: newSid("SK"), secret: newSecret(), accountSid, kind, dateCreated: this.now() };
    this.apiKeys.set(key.sid, key);
    return { sid: key.sid, secret: key.secret, accountSid, kind };
  }

  /** Removes an API key, as revoking it in the console does. */
  removeApiKey(keySid: string): void {
    this.apiKeys.delete(keySid);
  }

  addIncomingNumber(accountSid: string, phoneNumber: string): SeededNumber {
    this.requireAccount(accountSid);
    if (!isE164(phoneNumber)) throw new Error(`addIncomingNumber: not an E.164 number: ${phoneNumber}`);
    const taken = this.findNumber(phoneNumber);
    if (taken) throw new Error(`addIncomingNumber: ${phoneNumber} already belongs to ${taken.accountSid}`);
    const at = this.now();
    const number: IncomingNumber = {
      sid: newSid("PN"),
      accountSid,
      phoneNumber,
      friendlyName: friendlyNumber(phoneNumber),
      dateCreated: at,
      dateUpdated: at,
      serviceSid: null,
      dateAddedToService: null,
    };
    this.numbers.set(number.sid, number);
    return { sid: number.sid, phoneNumber, accountSid };
  }

  /** A Channels Sender of the account (Messaging v2), in no service yet. Reuses one with that address. */
  addSender(accountSid: string, senderId: string, opts: AddSenderOptions = {}): SeededSender {
    this.requireAccount(accountSid);
    if (!CHANNEL_ADDRESS.test(senderId)) {
      throw new Error(`addSender: not a channel address (rcs:…, whatsapp:+…, messenger:…): ${senderId}`);
    }
    let sender = this.findSender(accountSid, senderId);
    if (!sender) {
      const at = this.now();
      sender = {
        sid: newSid("XE"),
        accountSid,
        senderId,
        status: opts.status ?? "ONLINE",
        profileName: opts.profileName ?? null,
        dateCreated: at,
        dateUpdated: at,
      };
      this.senders.set(sender.sid, sender);
    } else if (opts.status) {
      sender.status = opts.status;
      sender.dateUpdated = this.now();
    }
    return this.seededSender(sender);
  }

  addService(accountSid: string, opts: AddServiceOptions = {}): SeededService {
    this.requireAccount(accountSid);
    const at = this.now();
    const service: MessagingService = {
      sid: newSid("MG"),
      accountSid,
      friendlyName: opts.friendlyName ?? "Emulated service",
      inboundRequestUrl: opts.inboundRequestUrl
        ? checkUrl(opts.inboundRequestUrl, "inboundRequestUrl")
        : null,
      inboundMethod: "POST",
      fallbackUrl: null,
      fallbackMethod: "POST",
      statusCallback: opts.statusCallback ? checkUrl(opts.statusCallback, "statusCallback") : null,
      stickySender: true,
      mmsConverter: true,
      smartEncoding: true,
      scanMessageContent: "inherit",
      fallbackToLongCode: true,
      areaCodeGeomatch: true,
      synchronousValidation: true,
      validityPeriod: 14400,
      usecase: "undeclared",
      useInboundWebhookOnNumber: false,
      advancedOptOut: opts.advancedOptOut ?? false,
      dateCreated: at,
      dateUpdated: at,
      senders: new Map(),
    };
    this.services.set(service.sid, service);
    const phoneNumbers = (opts.phoneNumbers ?? []).map((n) => this.addServicePhoneNumber(service.sid, n));
    const channelSenders = (opts.channelSenders ?? []).map((s) => this.addChannelSender(service.sid, s));
    return {
      sid: service.sid,
      accountSid,
      friendlyName: service.friendlyName,
      inboundRequestUrl: service.inboundRequestUrl,
      statusCallback: service.statusCallback,
      phoneNumbers,
      channelSenders,
    };
  }

  /** Puts a number of the service's account into its sender pool, making it an incoming number first. */
  /** Deletes the service, as the console does: its numbers go back to the account, out of any service. */
  removeService(serviceSid: string): void {
    this.requireService(serviceSid);
    this.services.delete(serviceSid);
    for (const n of this.servicePhoneNumbers(serviceSid)) {
      n.serviceSid = null;
      n.dateAddedToService = null;
    }
  }

  addServicePhoneNumber(serviceSid: string, phoneNumber: string): SeededNumber {
    const service = this.requireService(serviceSid);
    let number = this.findNumber(phoneNumber);
    if (!number) {
      this.addIncomingNumber(service.accountSid, phoneNumber);
      number = this.findNumber(phoneNumber);
    }
    if (!number || number.accountSid !== service.accountSid) {
      throw new Error(`addServicePhoneNumber: ${phoneNumber} belongs to another account`);
    }
    if (number.serviceSid && number.serviceSid !== serviceSid) {
      // Twilio 21712: a number is in one Messaging Service at most.
      throw new Error(`addServicePhoneNumber: ${phoneNumber} is already in service ${number.serviceSid}`);
    }
    number.serviceSid = serviceSid;
    number.dateAddedToService = this.now();
    return { sid: number.sid, phoneNumber: number.phoneNumber, accountSid: number.accountSid };
  }

  /** Puts a channel sender (`rcs:acme_agent`, …) into the service's pool, creating it on the account if new. */
  addChannelSender(serviceSid: string, senderId: string, opts: AddSenderOptions = {}): SeededSender {
    const service = this.requireService(serviceSid);
    const seeded = this.addSender(service.accountSid, senderId, opts);
    if (!service.senders.has(seeded.sid)) service.senders.set(seeded.sid, this.now());
    return seeded;
  }

  getService(serviceSid: string): ServiceView | undefined {
    const s = this.services.get(serviceSid);
    if (!s) return undefined;
    return {
      sid: s.sid,
      accountSid: s.accountSid,
      friendlyName: s.friendlyName,
      inboundRequestUrl: s.inboundRequestUrl,
      inboundMethod: s.inboundMethod,
      fallbackUrl: s.fallbackUrl,
      statusCallback: s.statusCallback,
      useInboundWebhookOnNumber: s.useInboundWebhookOnNumber,
      phoneNumbers: this.servicePhoneNumbers(s.sid).map((n) => n.phoneNumber),
      channelSenders: this.serviceSenders(s).map((x) => x.senderId),
      dateUpdated: s.dateUpdated.toISOString(),
    };
  }

  // ---- lookups used by the routes ----

  findNumber(phoneNumber: string): IncomingNumber | undefined {
    for (const n of this.numbers.values()) if (n.phoneNumber === phoneNumber) return n;
    return undefined;
  }

  findSender(accountSid: string, senderId: string): ChannelSender | undefined {
    for (const s of this.senders.values()) {
      if (s.accountSid === accountSid && s.senderId === senderId) return s;
    }
    return undefined;
  }

  accountNumbers(accountSid: string): IncomingNumber[] {
    return [...this.numbers.values()].filter((n) => n.accountSid === accountSid);
  }

  accountSenders(accountSid: string): ChannelSender[] {
    return [...this.senders.values()].filter((s) => s.accountSid === accountSid);
  }

  servicePhoneNumbers(serviceSid: string): IncomingNumber[] {
    return [...this.numbers.values()].filter((n) => n.serviceSid === serviceSid);
  }

  serviceSenders(service: MessagingService): ChannelSender[] {
    return [...service.senders.keys()].flatMap((sid) => {
      const s = this.senders.get(sid);
      return s ? [s] : [];
    });
  }

  /** The service of the account, or undefined: another account's service does not exist for it. */
  serviceOf(accountSid: string, serviceSid: string): MessagingService | undefined {
    const s = this.services.get(serviceSid);
    return s && s.accountSid === accountSid ? s : undefined;
  }

  private requireAccount(accountSid: string): Account {
    const account = this.accounts.get(accountSid);
    if (!account) throw new Error(`no emulated account ${accountSid}`);
    return account;
  }

  private requireService(serviceSid: string): MessagingService {
    const service = this.services.get(serviceSid);
    if (!service) throw new Error(`no emulated Messaging Service ${serviceSid}`);
    return service;
  }

  private seededAccount(a: Account): SeededAccount {
    return {
      sid: a.sid,
      authToken: a.authToken,
      friendlyName: a.friendlyName,
      status: a.status,
      type: a.type,
    };
  }

  private seededSender(s: ChannelSender): SeededSender {
    return {
      sid: s.sid,
      sender: s.senderId,
      senderType: senderTypeOf(s.senderId),
      status: s.status,
      accountSid: s.accountSid,
    };
  }
}
