import type { TwilioClient } from "./client";
import { ProviderError } from "../errors";
import { classifyTwilioError, describeTwilioFailure } from "./errors";

export interface VerificationMessage {
  readonly to: string;
  readonly body: string;
  readonly messagingServiceSid?: string;
  readonly from?: string;
}

/** Sends the one sample message of `verifyConnection`; returns its SID. Never called in preview. */
export async function sendVerificationMessage(client: TwilioClient, m: VerificationMessage): Promise<string> {
  if (!m.messagingServiceSid && !m.from) {
    throw new ProviderError(
      "INVALID_INPUT",
      "verifyConnection: needs messagingServiceSid or inboundNumber to send from",
    );
  }
  try {
    const msg = await client.messages.create({
      to: m.to,
      body: m.body,
      ...(m.messagingServiceSid
        ? { messagingServiceSid: m.messagingServiceSid }
        : { from: m.from as string }),
    });
    return msg.sid;
  } catch (e) {
    throw new ProviderError(
      "TWILIO_REJECTED",
      `verifyConnection: Twilio did not accept the sample message to ${m.to}: ${describeTwilioFailure(classifyTwilioError(e))}`,
      { cause: e },
    );
  }
}
