import { countryOf, iso8601, rfc2822 } from "./format";
import type { Principal } from "./auth";
import {
  senderTypeOf,
  type Account,
  type ChannelSender,
  type IncomingNumber,
  type MessagingService,
  type SentMessage,
} from "./state";

/**
 * The JSON representations, field for field as in Twilio's OpenAPI schemas (twilio-oai):
 * `api.v2010.account`, `api.v2010.account.incoming_phone_number`, `api.v2010.account.message`,
 * `messaging.v1.service`, `messaging.v1.service.phone_number`, `messaging.v1.service.channel_sender`
 * and `messaging.v2.channels_sender_response`.
 *
 * The 2010 API writes root-relative URIs and RFC 2822 dates; the Messaging API absolute URLs and ISO
 * 8601 dates. `messagingBase` is the origin of those URLs: the emulator's own URL (so that clients
 * can follow them), or `https://messaging.twilio.com` to test a client's URL rewriting.
 */

export const API_VERSION = "2010-04-01";

export function accountUri(accountSid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}`;
}

const ACCOUNT_SUBRESOURCES: ReadonlyArray<readonly [string, string]> = [
  ["available_phone_numbers", "AvailablePhoneNumbers"],
  ["calls", "Calls"],
  ["conferences", "Conferences"],
  ["incoming_phone_numbers", "IncomingPhoneNumbers"],
  ["notifications", "Notifications"],
  ["outgoing_caller_ids", "OutgoingCallerIds"],
  ["recordings", "Recordings"],
  ["transcriptions", "Transcriptions"],
  ["addresses", "Addresses"],
  ["signing_keys", "SigningKeys"],
  ["connect_apps", "ConnectApps"],
  ["sip", "SIP"],
  ["authorized_connect_apps", "AuthorizedConnectApps"],
  ["usage", "Usage"],
  ["keys", "Keys"],
  ["applications", "Applications"],
  ["short_codes", "SMS/ShortCodes"],
  ["queues", "Queues"],
  ["messages", "Messages"],
  ["balance", "Balance"],
];

/**
 * FetchAccount. `auth_token` is the account's token only when the request authenticated with that
 * token; with an API key (a Main key may fetch the account) it is null, so a key never reveals it.
 */
export function renderAccount(a: Account, principal: Principal): Record<string, unknown> {
  const base = accountUri(a.sid);
  return {
    auth_token: principal.kind === "auth-token" ? a.authToken : null,
    date_created: rfc2822(a.dateCreated),
    date_updated: rfc2822(a.dateUpdated),
    friendly_name: a.friendlyName,
    owner_account_sid: a.sid,
    sid: a.sid,
    status: a.status,
    subresource_uris: Object.fromEntries(ACCOUNT_SUBRESOURCES.map(([k, p]) => [k, `${base}/${p}.json`])),
    type: a.type,
    uri: `${base}.json`,
  };
}

export function renderIncomingNumber(n: IncomingNumber): Record<string, unknown> {
  return {
    account_sid: n.accountSid,
    address_requirements: "none",
    address_sid: null,
    api_version: API_VERSION,
    beta: false,
    capabilities: { voice: true, sms: true, mms: true, fax: false },
    date_created: rfc2822(n.dateCreated),
    date_updated: rfc2822(n.dateUpdated),
    emergency_status: "Inactive",
    emergency_address_sid: null,
    emergency_address_status: "unregistered",
    friendly_name: n.friendlyName,
    identity_sid: null,
    origin: "twilio",
    phone_number: n.phoneNumber,
    sid: n.sid,
    sms_application_sid: null,
    sms_fallback_method: "POST",
    sms_fallback_url: null,
    sms_method: "POST",
    sms_url: null,
    status_callback: null,
    status_callback_method: "POST",
    trunk_sid: null,
    uri: `${accountUri(n.accountSid)}/IncomingPhoneNumbers/${n.sid}.json`,
    voice_application_sid: null,
    voice_caller_id_lookup: false,
    voice_fallback_method: "POST",
    voice_fallback_url: null,
    voice_method: "POST",
    voice_url: null,
    bundle_sid: null,
    voice_receive_mode: "voice",
    status: "in-use",
    type: "local",
  };
}

function segments(body: string | null): string {
  if (!body) return "0";
  // GSM-7 fits 160 characters in one segment, 153 in each of several; anything else UCS-2: 70 / 67.
  // eslint-disable-next-line no-control-regex
  const gsm = /^[\x0A\x0D\x20-\x7E£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà€]*$/.test(body);
  const length = [...body].length;
  const single = gsm ? 160 : 70;
  const multi = gsm ? 153 : 67;
  return String(length <= single ? 1 : Math.ceil(length / multi));
}

export function renderMessage(m: SentMessage): Record<string, unknown> {
  const uri = `${accountUri(m.accountSid)}/Messages/${m.sid}`;
  return {
    account_sid: m.accountSid,
    api_version: API_VERSION,
    body: m.body ?? "",
    date_created: rfc2822(m.dateCreated),
    date_sent: null,
    date_updated: rfc2822(m.dateCreated),
    direction: "outbound-api",
    error_code: null,
    error_message: null,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: "0",
    num_segments: segments(m.body),
    price: null,
    price_unit: "USD",
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `${uri}/Media.json` },
    to: m.to,
    uri: `${uri}.json`,
  };
}

const SERVICE_LINKS: ReadonlyArray<readonly [string, string]> = [
  ["phone_numbers", "PhoneNumbers"],
  ["short_codes", "ShortCodes"],
  ["alpha_senders", "AlphaSenders"],
  ["messages", "Messages"],
  ["us_app_to_person", "Compliance/Usa2p"],
  ["us_app_to_person_usecases", "Compliance/Usa2p/Usecases"],
  ["channel_senders", "ChannelSenders"],
  ["destination_alpha_senders", "DestinationAlphaSenders"],
];

export function serviceUrl(messagingBase: string, serviceSid: string): string {
  return `${messagingBase}/v1/Services/${serviceSid}`;
}

export function renderService(s: MessagingService, messagingBase: string): Record<string, unknown> {
  const url = serviceUrl(messagingBase, s.sid);
  return {
    account_sid: s.accountSid,
    sid: s.sid,
    date_created: iso8601(s.dateCreated),
    date_updated: iso8601(s.dateUpdated),
    friendly_name: s.friendlyName,
    inbound_request_url: s.inboundRequestUrl,
    inbound_method: s.inboundMethod,
    fallback_url: s.fallbackUrl,
    fallback_method: s.fallbackMethod,
    status_callback: s.statusCallback,
    sticky_sender: s.stickySender,
    mms_converter: s.mmsConverter,
    smart_encoding: s.smartEncoding,
    fallback_to_long_code: s.fallbackToLongCode,
    area_code_geomatch: s.areaCodeGeomatch,
    validity_period: s.validityPeriod,
    scan_message_content: s.scanMessageContent,
    synchronous_validation: s.synchronousValidation,
    usecase: s.usecase,
    us_app_to_person_registered: false,
    use_inbound_webhook_on_number: s.useInboundWebhookOnNumber,
    links: Object.fromEntries(SERVICE_LINKS.map(([k, p]) => [k, `${url}/${p}`])),
    url,
  };
}

export function renderServicePhoneNumber(n: IncomingNumber, messagingBase: string): Record<string, unknown> {
  const serviceSid = n.serviceSid ?? "";
  const added = n.dateAddedToService ?? n.dateCreated;
  return {
    account_sid: n.accountSid,
    service_sid: serviceSid,
    sid: n.sid,
    date_created: iso8601(added),
    date_updated: iso8601(added),
    phone_number: n.phoneNumber,
    country_code: countryOf(n.phoneNumber),
    capabilities: ["SMS", "MMS", "Voice"],
    url: `${serviceUrl(messagingBase, serviceSid)}/PhoneNumbers/${n.sid}`,
  };
}

export function renderServiceChannelSender(
  s: ChannelSender,
  service: MessagingService,
  messagingBase: string,
): Record<string, unknown> {
  const added = service.senders.get(s.sid) ?? s.dateCreated;
  const address = s.senderId.slice(s.senderId.indexOf(":") + 1);
  return {
    account_sid: s.accountSid,
    messaging_service_sid: service.sid,
    sid: s.sid,
    sender: s.senderId,
    sender_type: senderTypeOf(s.senderId),
    country_code: address.startsWith("+") ? countryOf(address) : "US",
    date_created: iso8601(added),
    date_updated: iso8601(added),
    url: `${serviceUrl(messagingBase, service.sid)}/ChannelSenders/${s.sid}`,
  };
}

export function renderChannelsSender(s: ChannelSender, messagingBase: string): Record<string, unknown> {
  return {
    sid: s.sid,
    status: s.status,
    sender_id: s.senderId,
    configuration: null,
    webhook: {
      callback_url: null,
      callback_method: "POST",
      fallback_url: null,
      fallback_method: "POST",
      status_callback_url: null,
      status_callback_method: "POST",
    },
    profile: {
      name: s.profileName,
      about: null,
      address: null,
      logo_url: null,
      banner_url: null,
      privacy_url: null,
      terms_of_service_url: null,
      accent_color: null,
      vertical: null,
      websites: [],
      emails: [],
      phone_numbers: [],
    },
    properties: null,
    offline_reasons: null,
    compliance: null,
    url: `${messagingBase}/v2/Channels/Senders/${s.sid}`,
  };
}
