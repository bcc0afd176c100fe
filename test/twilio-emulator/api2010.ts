import { requireAccountAccess, requirePathAccount } from "./auth";
import { parseParams } from "./body";
import { ErrorCodes, TwilioApiError } from "./errors";
import { CHANNEL_ADDRESS, isAlphanumericSenderId, isE164 } from "./format";
import { isSid, newSid } from "./ids";
import { paginate, v2010Envelope } from "./paging";
import { accountUri, renderAccount, renderIncomingNumber, renderMessage } from "./resources";
import { param, type ApiResponse, type RouteContext } from "./router";
import type { IncomingNumber, SentMessage } from "./state";

/** Handlers of api.twilio.com/2010-04-01: FetchAccount, ListIncomingPhoneNumber, Create/ListMessage. */

function pathAccount(ctx: RouteContext): string {
  const accountSid = param(ctx, "AccountSid");
  requirePathAccount(ctx.principal, accountSid);
  return accountSid;
}

/** GET /2010-04-01/Accounts/{Sid}.json */
export function fetchAccount(ctx: RouteContext): ApiResponse {
  const accountSid = pathAccount(ctx);
  requireAccountAccess(ctx.principal);
  const account = ctx.state.accounts.get(accountSid);
  if (!account) throw TwilioApiError.notFound(ctx.path);
  return { status: 200, body: renderAccount(account, ctx.principal) };
}

/**
 * `PhoneNumber` filter as Twilio reads it: a partial number, `*` for any one digit. A `+` sent
 * unencoded arrives as a space; spaces are ignored, so `+1555…` matches either way.
 */
function numberFilter(raw: string): (n: IncomingNumber) => boolean {
  const wanted = raw.replace(/\s+/g, "");
  const source = [...wanted]
    .map((c) => (c === "*" ? "\\d" : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  const re = new RegExp(source);
  return (n) => re.test(n.phoneNumber);
}

/** GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json */
export function listIncomingPhoneNumbers(ctx: RouteContext): ApiResponse {
  const accountSid = pathAccount(ctx);
  let numbers = ctx.state.accountNumbers(accountSid);
  const filters: Array<[string, string]> = [];
  const friendlyName = ctx.query.get("FriendlyName");
  if (friendlyName) {
    filters.push(["FriendlyName", friendlyName]);
    numbers = numbers.filter((n) => n.friendlyName === friendlyName);
  }
  const phoneNumber = ctx.query.get("PhoneNumber");
  if (phoneNumber) {
    filters.push(["PhoneNumber", phoneNumber]);
    numbers = numbers.filter(numberFilter(phoneNumber));
  }
  const page = paginate(numbers, ctx.query, filters);
  const basePath = `${accountUri(accountSid)}/IncomingPhoneNumbers.json`;
  return { status: 200, body: v2010Envelope("incoming_phone_numbers", page, basePath, renderIncomingNumber) };
}

/** GET /2010-04-01/Accounts/{AccountSid}/Messages.json: the messages the account sent, newest first. */
export function listMessages(ctx: RouteContext): ApiResponse {
  const accountSid = pathAccount(ctx);
  const messages = ctx.state.messages.filter((m) => m.accountSid === accountSid).reverse();
  const page = paginate(messages, ctx.query);
  const basePath = `${accountUri(accountSid)}/Messages.json`;
  return { status: 200, body: v2010Envelope("messages", page, basePath, renderMessage) };
}

function fail(code: number, message: string, status = 400): TwilioApiError {
  return new TwilioApiError(status, code, message);
}

/**
 * POST /2010-04-01/Accounts/{AccountSid}/Messages.json (CreateMessage). Form-encoded as Twilio takes
 * it, or a JSON object with the same keys (custom-vendor RCS credentials post JSON templates).
 *
 * Checks, in order: account active (10001, HTTP 403: Twilio's 20403 page says a suspended account
 * lacks permission to use the API); To given (21604); From or MessagingServiceSid given (21603);
 * Body, ContentSid or MediaUrl given (21602); To a valid address (21211); MessagingServiceSid well
 * formed (21705) and a service of the account (21701); From an incoming number of the account
 * (21606), a channel sender of the account (63007) or an alphanumeric sender ID (else 21212); without From, a
 * service with at least one sender (21704); To different from From (21266).
 */
export function createMessage(ctx: RouteContext): ApiResponse {
  const accountSid = pathAccount(ctx);
  const { state } = ctx;
  const account = state.accounts.get(accountSid);
  if (!account) throw TwilioApiError.notFound(ctx.path);
  if (account.status !== "active") throw fail(ErrorCodes.ACCOUNT_NOT_ACTIVE, "Account is not active", 403);

  const params = parseParams(ctx.body, true);
  const to = params["To"]?.trim() ?? "";
  const from = params["From"]?.trim() ?? "";
  const serviceSid = params["MessagingServiceSid"]?.trim() ?? "";
  const body = params["Body"] ?? "";
  const contentSid = params["ContentSid"] ?? "";
  const mediaUrl = params["MediaUrl"] ?? "";

  if (!to) throw fail(ErrorCodes.TO_REQUIRED, "A 'To' phone number is required.");
  if (!from && !serviceSid) throw fail(ErrorCodes.FROM_REQUIRED, "A 'From' phone number is required.");
  if (!body && !contentSid && !mediaUrl) throw fail(ErrorCodes.BODY_REQUIRED, "Message body is required.");
  const toChannel = CHANNEL_ADDRESS.exec(to);
  if (!(isE164(to) || (toChannel?.[2] !== undefined && isE164(toChannel[2])))) {
    throw fail(ErrorCodes.INVALID_TO, `Invalid 'To' Phone Number: ${to}`);
  }

  let service;
  if (serviceSid) {
    if (!isSid("MG", serviceSid))
      throw fail(ErrorCodes.SERVICE_SID_INVALID, "The Messaging Service is invalid.");
    service = state.serviceOf(accountSid, serviceSid);
    if (!service)
      throw fail(ErrorCodes.SERVICE_NOT_FOUND, `The Messaging Service Sid ${serviceSid} is invalid.`);
  }

  if (from) {
    if (CHANNEL_ADDRESS.test(from)) {
      if (!state.findSender(accountSid, from)) {
        throw fail(
          ErrorCodes.CHANNEL_NOT_FOUND,
          "Twilio could not find a Channel with the specified From address",
        );
      }
    } else if (isE164(from)) {
      const number = state.findNumber(from);
      if (!number || number.accountSid !== accountSid) {
        throw fail(
          ErrorCodes.FROM_NOT_OWNED,
          `The 'From' phone number provided (${from}) is not a valid message-capable Twilio phone number for this destination/account.`,
        );
      }
    } else if (!isAlphanumericSenderId(from)) {
      throw fail(ErrorCodes.INVALID_FROM, `Invalid 'From' Number: ${from}`);
    }
  } else if (service && state.servicePhoneNumbers(service.sid).length + service.senders.size === 0) {
    throw fail(ErrorCodes.SERVICE_HAS_NO_SENDERS, "The Messaging Service contains no phone numbers.");
  }
  if (from && from === to)
    throw fail(ErrorCodes.TO_EQUALS_FROM, "'To' and 'From' number cannot be the same.");

  const message: SentMessage = {
    sid: newSid("SM"),
    accountSid,
    to,
    from: from || null,
    body: body || null,
    messagingServiceSid: service ? service.sid : null,
    // Twilio: "accepted" when a Messaging Service picks the sender, "queued" when From is given.
    status: from ? "queued" : "accepted",
    params: Object.freeze({ ...params }),
    contentType: ctx.body.contentType,
    rawBody: ctx.body.raw.toString("utf8"),
    authUser: ctx.principal.user,
    dateCreated: ctx.now(),
  };
  state.messages.push(Object.freeze(message));
  return { status: 201, body: renderMessage(message) };
}
