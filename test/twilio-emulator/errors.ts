/**
 * Twilio's error answers. Every error body is
 * `{"code": N, "message": "...", "more_info": "https://www.twilio.com/docs/errors/N", "status": HTTP}`.
 *
 * The codes, with the Twilio error-dictionary title each stands for:
 */
export const ErrorCodes = {
  /** 10001 "Account is not active": sending from a suspended or closed account. */
  ACCOUNT_NOT_ACTIVE: 10001,
  /**
   * 20001: a query or body parameter has an invalid value (PageSize out of range, unknown PageToken,
   * a malformed URL or JSON body, the missing required `Channel` of ListChannelsSender).
   */
  INVALID_PARAMETER: 20001,
  /** 20003 "Authenticate" (Permission Denied): missing or wrong credentials, or not allowed. */
  AUTHENTICATE: 20003,
  /** 20004 "Method not allowed". */
  METHOD_NOT_ALLOWED: 20004,
  /** 20404 "The requested resource ... was not found". */
  NOT_FOUND: 20404,
  /** 20429 "Too Many Requests". */
  TOO_MANY_REQUESTS: 20429,
  /** 20500 "Internal Server Error". */
  INTERNAL: 20500,
  /** 20503 "Service Unavailable". */
  SERVICE_UNAVAILABLE: 20503,
  /** 21211 "Invalid 'To' Phone Number". */
  INVALID_TO: 21211,
  /** 21212 "Invalid 'From' Number": neither a number, a channel address nor an alphanumeric sender ID. */
  INVALID_FROM: 21212,
  /** 21266 "'To' and 'From' number cannot be the same". */
  TO_EQUALS_FROM: 21266,
  /** 21602 "Message body is required". */
  BODY_REQUIRED: 21602,
  /** 21603 "The source 'From' phone number is required to send an SMS". */
  FROM_REQUIRED: 21603,
  /** 21604 "A 'To' phone number is required". */
  TO_REQUIRED: 21604,
  /** 21606 "The 'From' phone number provided is not a valid message-capable Twilio phone number". */
  FROM_NOT_OWNED: 21606,
  /** 21701 "The Messaging Service does not exist" (or belongs to another account). */
  SERVICE_NOT_FOUND: 21701,
  /** 21704 "The Messaging Service contains no phone numbers" (no sender in its pool). */
  SERVICE_HAS_NO_SENDERS: 21704,
  /** 21705 "The Messaging Service is invalid": MessagingServiceSid does not look like `MG…`. */
  SERVICE_SID_INVALID: 21705,
  /** 63007 "Twilio could not find a Channel with the specified From address" (`rcs:`/`whatsapp:`). */
  CHANNEL_NOT_FOUND: 63007,
} as const;

export interface TwilioErrorBody {
  readonly code: number;
  readonly message: string;
  readonly more_info: string;
  readonly status: number;
}

export function moreInfo(code: number): string {
  return `https://www.twilio.com/docs/errors/${code}`;
}

export function errorBody(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: moreInfo(code), status };
}

/** The default Twilio code of an HTTP status that a fault injects: 429 → 20429, 503 → 20503, … */
export function defaultCodeFor(status: number): number {
  return 20000 + status;
}

/** Thrown by a handler; the server turns it into Twilio's error body. */
export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "TwilioApiError";
  }

  toBody(): TwilioErrorBody {
    return errorBody(this.status, this.code, this.message);
  }

  static authenticate(): TwilioApiError {
    return new TwilioApiError(401, ErrorCodes.AUTHENTICATE, "Authenticate", {
      "WWW-Authenticate": 'Basic realm="Twilio API"',
    });
  }

  static notFound(path: string): TwilioApiError {
    return new TwilioApiError(404, ErrorCodes.NOT_FOUND, `The requested resource ${path} was not found`);
  }

  static methodNotAllowed(method: string, allowed: readonly string[]): TwilioApiError {
    return new TwilioApiError(405, ErrorCodes.METHOD_NOT_ALLOWED, `Method ${method} not allowed`, {
      Allow: allowed.join(", "),
    });
  }

  static invalidParameter(message: string): TwilioApiError {
    return new TwilioApiError(400, ErrorCodes.INVALID_PARAMETER, message);
  }
}
