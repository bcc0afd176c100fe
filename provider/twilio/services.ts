import { ProviderError } from "../errors";
import { classifyTwilioError, describeTwilioFailure } from "./errors";
import type { TwilioRest } from "./rest";

/** The service field a webhook of each type points: inbound messages, or delivery status. */
export type ServiceUrlField = "inboundRequestUrl" | "statusCallback";

export async function serviceUrl(
  client: TwilioRest,
  serviceSid: string,
  field: ServiceUrlField,
): Promise<string | null> {
  try {
    const s = await client.fetchService(serviceSid);
    return (field === "inboundRequestUrl" ? s.inbound_request_url : s.status_callback) ?? null;
  } catch (e) {
    throw new ProviderError(
      "TWILIO_REJECTED",
      `attachToMessagingService: could not read Messaging Service ${serviceSid}: ${describeTwilioFailure(classifyTwilioError(e))}`,
      { cause: e },
    );
  }
}

/** Points the service's field at `url` (or clears it with ""). */
export async function setServiceUrl(
  client: TwilioRest,
  serviceSid: string,
  field: ServiceUrlField,
  url: string,
): Promise<void> {
  try {
    await client.updateService(
      serviceSid,
      field === "inboundRequestUrl" ? { InboundRequestUrl: url } : { StatusCallback: url },
    );
  } catch (e) {
    throw new ProviderError(
      "TWILIO_REJECTED",
      `attachToMessagingService: could not update Messaging Service ${serviceSid}: ${describeTwilioFailure(classifyTwilioError(e))}`,
      { cause: e },
    );
  }
}
