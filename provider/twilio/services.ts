import type { TwilioClient } from "./client";
import { ProviderError } from "../errors";
import { classifyTwilioError, describeTwilioFailure } from "./errors";

/** The service field a webhook of each type points: inbound messages, or delivery status. */
export type ServiceUrlField = "inboundRequestUrl" | "statusCallback";

export async function serviceUrl(
  client: TwilioClient,
  serviceSid: string,
  field: ServiceUrlField,
): Promise<string | null> {
  try {
    const s = await client.messaging.v1.services(serviceSid).fetch();
    return (field === "inboundRequestUrl" ? s.inboundRequestUrl : s.statusCallback) ?? null;
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
  client: TwilioClient,
  serviceSid: string,
  field: ServiceUrlField,
  url: string,
): Promise<void> {
  try {
    await client.messaging.v1.services(serviceSid).update({ [field]: url });
  } catch (e) {
    throw new ProviderError(
      "TWILIO_REJECTED",
      `attachToMessagingService: could not update Messaging Service ${serviceSid}: ${describeTwilioFailure(classifyTwilioError(e))}`,
      { cause: e },
    );
  }
}
