import { ProviderError } from "../errors";
import { classifyTwilioError, describeTwilioFailure } from "./errors";
import type { TwilioRest } from "./rest";

export interface VerificationMessage {
  readonly to: string;
  readonly body: string;
  readonly messagingServiceSid?: string;
  readonly from?: string;
}

/** Sends the one sample message of `verifyConnection`; returns its SID. Never called in preview. */
export async function sendVerificationMessage(client: TwilioRest, m: VerificationMessage): Promise<string> {
  if (!m.messagingServiceSid && !m.from) {
    throw new ProviderError(
      "INVALID_INPUT",
      "verifyConnection: needs messagingServiceSid or inboundNumber to send from",
    );
  }
  try {
    return await client.createMessage({
      To: m.to,
      Body: m.body,
      ...(m.messagingServiceSid
        ? { MessagingServiceSid: m.messagingServiceSid }
        : { From: m.from as string }),
    });
  } catch (e) {
    throw new ProviderError(
      "TWILIO_REJECTED",
      `verifyConnection: Twilio did not accept the sample message to ${m.to}: ${describeTwilioFailure(classifyTwilioError(e))}`,
      { cause: e },
    );
  }
}
