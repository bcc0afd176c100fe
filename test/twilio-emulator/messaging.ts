import { parseParams } from "./body";
import { TwilioApiError } from "./errors";
import { metaEnvelope, paginate } from "./paging";
import {
  renderChannelsSender,
  renderService,
  renderServiceChannelSender,
  renderServicePhoneNumber,
  serviceUrl,
} from "./resources";
import { param, type ApiResponse, type RouteContext } from "./router";
import type { HttpMethod, MessagingService } from "./state";

/**
 * Handlers of messaging.twilio.com: v1 Services (Fetch/Update), their PhoneNumbers and ChannelSenders,
 * and v2 Channels/Senders. The account is the authenticated one; another account's service is 404.
 */

function ownService(ctx: RouteContext, name: string): MessagingService {
  const service = ctx.state.serviceOf(ctx.principal.accountSid, param(ctx, name));
  if (!service) throw TwilioApiError.notFound(ctx.path);
  return service;
}

/** GET /v1/Services/{Sid} */
export function fetchService(ctx: RouteContext): ApiResponse {
  return { status: 200, body: renderService(ownService(ctx, "Sid"), ctx.messagingBase) };
}

function urlParam(params: Record<string, string>, name: string): string | null | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (value === "") return null;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw TwilioApiError.invalidParameter(`${name} is not a valid URL: ${value}`);
  }
  return value;
}

function boolParam(params: Record<string, string>, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw TwilioApiError.invalidParameter(`${name} must be true or false`);
}

function methodParam(params: Record<string, string>, name: string): HttpMethod | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (upper === "GET" || upper === "POST") return upper;
  throw TwilioApiError.invalidParameter(`${name} must be GET or POST`);
}

/**
 * POST /v1/Services/{Sid} (UpdateService), form-encoded. An empty URL clears it. Unknown parameters are
 * ignored, as Twilio does; values of the wrong type are 400, code 20001.
 */
export function updateService(ctx: RouteContext): ApiResponse {
  const service = ownService(ctx, "Sid");
  const p = parseParams(ctx.body, false);
  // Validate everything before changing anything.
  const inboundRequestUrl = urlParam(p, "InboundRequestUrl");
  const fallbackUrl = urlParam(p, "FallbackUrl");
  const statusCallback = urlParam(p, "StatusCallback");
  const inboundMethod = methodParam(p, "InboundMethod");
  const fallbackMethod = methodParam(p, "FallbackMethod");
  const flags = {
    stickySender: boolParam(p, "StickySender"),
    mmsConverter: boolParam(p, "MmsConverter"),
    smartEncoding: boolParam(p, "SmartEncoding"),
    fallbackToLongCode: boolParam(p, "FallbackToLongCode"),
    areaCodeGeomatch: boolParam(p, "AreaCodeGeomatch"),
    synchronousValidation: boolParam(p, "SynchronousValidation"),
    useInboundWebhookOnNumber: boolParam(p, "UseInboundWebhookOnNumber"),
  };
  const scan = p["ScanMessageContent"];
  if (scan !== undefined && scan !== "inherit" && scan !== "enable" && scan !== "disable") {
    throw TwilioApiError.invalidParameter("ScanMessageContent must be inherit, enable or disable");
  }
  const validity = p["ValidityPeriod"];
  if (
    validity !== undefined &&
    !(/^\d+$/.test(validity) && Number(validity) >= 1 && Number(validity) <= 36000)
  ) {
    throw TwilioApiError.invalidParameter("ValidityPeriod must be between 1 and 36000");
  }

  if (p["FriendlyName"] !== undefined) service.friendlyName = p["FriendlyName"];
  if (inboundRequestUrl !== undefined) service.inboundRequestUrl = inboundRequestUrl;
  if (fallbackUrl !== undefined) service.fallbackUrl = fallbackUrl;
  if (statusCallback !== undefined) service.statusCallback = statusCallback;
  if (inboundMethod) service.inboundMethod = inboundMethod;
  if (fallbackMethod) service.fallbackMethod = fallbackMethod;
  if (flags.stickySender !== undefined) service.stickySender = flags.stickySender;
  if (flags.mmsConverter !== undefined) service.mmsConverter = flags.mmsConverter;
  if (flags.smartEncoding !== undefined) service.smartEncoding = flags.smartEncoding;
  if (flags.fallbackToLongCode !== undefined) service.fallbackToLongCode = flags.fallbackToLongCode;
  if (flags.areaCodeGeomatch !== undefined) service.areaCodeGeomatch = flags.areaCodeGeomatch;
  if (flags.synchronousValidation !== undefined) service.synchronousValidation = flags.synchronousValidation;
  if (flags.useInboundWebhookOnNumber !== undefined) {
    service.useInboundWebhookOnNumber = flags.useInboundWebhookOnNumber;
  }
  if (scan === "inherit" || scan === "enable" || scan === "disable") service.scanMessageContent = scan;
  if (validity !== undefined) service.validityPeriod = Number(validity);
  if (p["Usecase"] !== undefined) service.usecase = p["Usecase"];
  service.dateUpdated = ctx.now();
  return { status: 200, body: renderService(service, ctx.messagingBase) };
}

/** GET /v1/Services/{ServiceSid}/PhoneNumbers */
export function listServicePhoneNumbers(ctx: RouteContext): ApiResponse {
  const service = ownService(ctx, "ServiceSid");
  const page = paginate(ctx.state.servicePhoneNumbers(service.sid), ctx.query);
  const base = `${serviceUrl(ctx.messagingBase, service.sid)}/PhoneNumbers`;
  return {
    status: 200,
    body: metaEnvelope("phone_numbers", page, base, (n) => renderServicePhoneNumber(n, ctx.messagingBase)),
  };
}

/** GET /v1/Services/{MessagingServiceSid}/ChannelSenders */
export function listServiceChannelSenders(ctx: RouteContext): ApiResponse {
  const service = ownService(ctx, "MessagingServiceSid");
  const page = paginate(ctx.state.serviceSenders(service), ctx.query);
  const base = `${serviceUrl(ctx.messagingBase, service.sid)}/ChannelSenders`;
  return {
    status: 200,
    body: metaEnvelope("senders", page, base, (s) =>
      renderServiceChannelSender(s, service, ctx.messagingBase),
    ),
  };
}

/**
 * GET /v2/Channels/Senders (ListChannelsSender). The spec makes `Channel` (`whatsapp`, `rcs`, …) a
 * required query parameter, so a request without it is 400, code 20001, as at Twilio.
 */
export function listChannelsSenders(ctx: RouteContext): ApiResponse {
  const channel = ctx.query.get("Channel");
  if (!channel) throw TwilioApiError.invalidParameter("Missing required parameter Channel in the query");
  const prefix = `${channel.toLowerCase()}:`;
  const senders = ctx.state
    .accountSenders(ctx.principal.accountSid)
    .filter((s) => s.senderId.toLowerCase().startsWith(prefix));
  const page = paginate(senders, ctx.query, [["Channel", channel]]);
  const base = `${ctx.messagingBase}/v2/Channels/Senders`;
  return {
    status: 200,
    body: metaEnvelope("senders", page, base, (s) => renderChannelsSender(s, ctx.messagingBase)),
  };
}
