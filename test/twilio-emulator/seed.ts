import { z } from "zod";
import {
  SENDER_STATUSES,
  type EmulatorState,
  type SeededAccount,
  type SeededApiKey,
  type SeededNumber,
  type SeededSender,
  type SeededService,
} from "./state";

/**
 * Seeding from JSON (the CLI's `--seed-file`, the admin API's `POST /__emulator/seed`). Tokens and
 * secrets are always generated at run time; a seed file cannot set them.
 *
 * ```json
 * { "accounts": [ {
 *     "friendlyName": "Acme", "status": "active", "type": "Full",
 *     "apiKeys": ["main", "standard"],
 *     "incomingNumbers": ["+15005550006"],
 *     "senders": ["rcs:acme_offline", { "sender": "rcs:acme_review", "status": "TWILIO_REVIEW" }],
 *     "services": [ { "friendlyName": "Acme alerts", "inboundRequestUrl": "https://example.com/in",
 *                     "phoneNumbers": ["+15005550007"], "channelSenders": ["rcs:acme_agent"] } ]
 * } ] }
 * ```
 */

const senderSpec = z.union([
  z.string(),
  z
    .object({
      sender: z.string(),
      status: z.enum(SENDER_STATUSES).optional(),
      profileName: z.string().optional(),
    })
    .strict(),
]);

const serviceSpec = z
  .object({
    friendlyName: z.string().optional(),
    inboundRequestUrl: z.string().optional(),
    statusCallback: z.string().optional(),
    phoneNumbers: z.array(z.string()).optional(),
    channelSenders: z.array(z.string()).optional(),
  })
  .strict();

const accountSpec = z
  .object({
    friendlyName: z.string().optional(),
    status: z.enum(["active", "suspended", "closed"]).optional(),
    type: z.enum(["Full", "Trial"]).optional(),
    apiKeys: z.array(z.enum(["main", "standard"])).optional(),
    incomingNumbers: z.array(z.string()).optional(),
    senders: z.array(senderSpec).optional(),
    services: z.array(serviceSpec).optional(),
  })
  .strict();

export const seedSpecSchema = z.object({ accounts: z.array(accountSpec) }).strict();

export type SeedSpec = z.infer<typeof seedSpecSchema>;

export interface SeedAccountResult extends SeededAccount {
  readonly apiKeys: readonly SeededApiKey[];
  readonly incomingNumbers: readonly SeededNumber[];
  readonly senders: readonly SeededSender[];
  readonly services: readonly SeededService[];
}

export interface SeedResult {
  readonly accounts: readonly SeedAccountResult[];
}

/** Checks a parsed JSON value against the seed format; throws with every problem listed. */
export function parseSeedSpec(value: unknown): SeedSpec {
  const result = seedSpecSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid seed: ${problems.join("; ")}`);
  }
  return result.data;
}

export function applySeed(state: EmulatorState, spec: SeedSpec): SeedResult {
  const accounts = spec.accounts.map((a): SeedAccountResult => {
    const account = state.addAccount({ friendlyName: a.friendlyName, status: a.status, type: a.type });
    const apiKeys = (a.apiKeys ?? []).map((kind) => state.addApiKey(account.sid, kind));
    const incomingNumbers = (a.incomingNumbers ?? []).map((n) => state.addIncomingNumber(account.sid, n));
    const senders = (a.senders ?? []).map((s) =>
      typeof s === "string"
        ? state.addSender(account.sid, s)
        : state.addSender(account.sid, s.sender, { status: s.status, profileName: s.profileName }),
    );
    const services = (a.services ?? []).map((s) => state.addService(account.sid, s));
    return { ...account, apiKeys, incomingNumbers, senders, services };
  });
  return { accounts };
}

/** The seed result without auth tokens and key secrets, for printing. */
export function redactSeedResult(result: SeedResult): unknown {
  return {
    accounts: result.accounts.map(({ authToken: _token, apiKeys, ...rest }) => ({
      ...rest,
      apiKeys: apiKeys.map(({ secret: _secret, ...key }) => key),
    })),
  };
}
