import { CustomVendorClient, CustomVendorError, PayloadTemplateError, renderPayload } from "../../net/vendor";
import type { CustomVendorClientOptions, VendorAuth } from "../../net/vendor";
import { ReplyError, type ReplySender, type VendorReply } from "./outbox";

/** Vendor answers worth another attempt: the vendor may take it later. */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Sends outbox replies through the custom vendor's own API: the credential's `payloadTemplate`
 * rendered with the reply, posted to its `providerUrl` with its auth and headers, by the same
 * client the provider's verifyConnection uses (net/vendor). The outbox id goes along as
 * `Idempotency-Key`, so a vendor that honours one sends a reply once even if we had to post again.
 */
export class VendorReplySender implements ReplySender {
  private readonly client: CustomVendorClient;

  constructor(options: CustomVendorClientOptions = {}) {
    this.client = new CustomVendorClient(options);
  }

  async send(reply: VendorReply): Promise<void> {
    const { data, secret } = reply.credential;
    const providerUrl = data["providerUrl"];
    const template = data["payloadTemplate"];
    const auth = secret["auth"] as VendorAuth | undefined;
    if (typeof providerUrl !== "string" || typeof template !== "string" || !auth) {
      throw new ReplyError("the credential has no providerUrl, payloadTemplate or auth", false);
    }
    let payload: string;
    try {
      payload = renderPayload(template, {
        fromNumber: reply.from,
        toNumber: reply.to,
        message: reply.message,
      });
    } catch (e) {
      if (e instanceof PayloadTemplateError) throw new ReplyError(e.message, false);
      throw e;
    }
    const given = (secret["headers"] ?? {}) as Record<string, string>;
    const hasKey = Object.keys(given).some((k) => k.toLowerCase() === "idempotency-key");
    try {
      await this.client.send({
        providerUrl,
        auth,
        headers: hasKey ? given : { ...given, "Idempotency-Key": reply.id },
        payload,
      });
    } catch (e) {
      if (!CustomVendorError.isInstance(e)) throw e;
      const retryable =
        e.code === "unreachable" ||
        e.code === "token-failed" ||
        (e.code === "rejected" && e.status !== undefined && RETRYABLE_STATUS.has(e.status));
      throw new ReplyError(e.message, retryable);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
