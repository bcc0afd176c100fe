import { createMessage, fetchAccount, listIncomingPhoneNumbers, listMessages } from "./api2010";
import {
  fetchService,
  listChannelsSenders,
  listServiceChannelSenders,
  listServicePhoneNumbers,
  updateService,
} from "./messaging";
import { Router, type Route } from "./router";

/** The emulated Twilio endpoints, with Twilio's own path templates (as in the twilio-oai specs). */
export const ROUTES: readonly Route[] = [
  { template: "/2010-04-01/Accounts/{AccountSid}.json", handlers: { GET: fetchAccount } },
  {
    template: "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
    handlers: { GET: listIncomingPhoneNumbers },
  },
  {
    template: "/2010-04-01/Accounts/{AccountSid}/Messages.json",
    handlers: { GET: listMessages, POST: createMessage },
  },
  { template: "/v1/Services/{Sid}", handlers: { GET: fetchService, POST: updateService } },
  { template: "/v1/Services/{ServiceSid}/PhoneNumbers", handlers: { GET: listServicePhoneNumbers } },
  {
    template: "/v1/Services/{MessagingServiceSid}/ChannelSenders",
    handlers: { GET: listServiceChannelSenders },
  },
  { template: "/v2/Channels/Senders", handlers: { GET: listChannelsSenders } },
];

export function createRouter(): Router {
  return new Router(ROUTES);
}
