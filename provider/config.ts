import path from "node:path";
import { isLoopbackHost } from "../contract/formats";
import { VALIDATION_MODES, type ValidationMode } from "../contract/records";
import { ProviderError, type ProviderErrorOptions } from "./errors";

/** The provider's settings: stack config (`smschannels:*`) wins over the environment. */
export interface ProviderSettings {
  readonly storeUrl?: string;
  readonly storeToken?: string;
  readonly storePath: string;
  readonly storeKey?: string;
  readonly validation: ValidationMode;
  readonly twilioApiUrl?: string;
  readonly webhookBaseUrl?: string;
  readonly twilioTimeoutMs: number;
  /** Custom-vendor URLs may reach loopback, private and metadata hosts (emulators, tests); see net/ssrf.ts. */
  readonly allowPrivateVendorHosts: boolean;
}

export interface ConfigSource {
  get(key: string): string | undefined;
}

const KEYS = {
  storeUrl: "SMSCHANNELS_STORE_URL",
  storeToken: "SMSCHANNELS_STORE_TOKEN",
  storePath: "SMSCHANNELS_STORE_PATH",
  storeKey: "SMSCHANNELS_STORE_KEY",
  validation: "SMSCHANNELS_VALIDATION",
  twilioApiUrl: "SMSCHANNELS_TWILIO_API_URL",
  webhookBaseUrl: "SMSCHANNELS_WEBHOOK_BASE_URL",
  twilioTimeoutMs: "SMSCHANNELS_TWILIO_TIMEOUT_MS",
  allowPrivateVendorHosts: "SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS",
} as const;

/** How errors name a setting: its stack config key and its environment variable. */
export function settingName(key: keyof typeof KEYS): string {
  return `smschannels:${key} (or ${KEYS[key]})`;
}

/** A bad setting, named by its stack config key and its environment variable. */
export class ConfigError extends ProviderError {
  override readonly name: string = "ConfigError";
  declare readonly code: "INVALID_CONFIG";
  constructor(
    readonly key: keyof typeof KEYS,
    reason: string,
    options?: ProviderErrorOptions,
  ) {
    super("INVALID_CONFIG", `${settingName(key)}: ${reason}`, options);
  }
}

function checkUrl(key: keyof typeof KEYS, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(key, `not a URL: ${JSON.stringify(value)}`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new ConfigError(key, "must be an http(s) URL");
  if (u.username || u.password)
    throw new ConfigError(key, "must not carry credentials; use the token settings");
  return value.replace(/\/+$/, "");
}

export function resolveSettings(
  config: ConfigSource | undefined,
  env: NodeJS.ProcessEnv = process.env,
  projectDir: string = process.cwd(),
): ProviderSettings {
  const read = (key: keyof typeof KEYS): string | undefined => {
    const fromConfig = config?.get(`smschannels:${key}`);
    const value = fromConfig !== undefined && fromConfig !== "" ? fromConfig : env[KEYS[key]];
    return value === "" ? undefined : value;
  };
  const validation = read("validation") ?? "strict";
  if (!(VALIDATION_MODES as readonly string[]).includes(validation)) {
    throw new ConfigError(
      "validation",
      `must be "strict", "warn" or "off", got ${JSON.stringify(validation)}`,
    );
  }
  const timeout = Number(read("twilioTimeoutMs") ?? 10_000);
  if (!Number.isInteger(timeout) || timeout < 100 || timeout > 120_000) {
    throw new ConfigError("twilioTimeoutMs", "must be a whole number of milliseconds from 100 to 120000");
  }
  const allowPrivate = read("allowPrivateVendorHosts") ?? "false";
  if (allowPrivate !== "true" && allowPrivate !== "false") {
    throw new ConfigError(
      "allowPrivateVendorHosts",
      `must be "true" or "false", got ${JSON.stringify(allowPrivate)}`,
    );
  }
  const storeUrl = checkUrl("storeUrl", read("storeUrl"));
  // The bearer token goes with every request: said here, so a preview stops on it too (the store
  // client refuses the same URL, but only once a write opens it).
  const storeHost = storeUrl ? new URL(storeUrl) : undefined;
  if (storeHost?.protocol === "http:" && !isLoopbackHost(storeHost.hostname)) {
    throw new ConfigError(
      "storeUrl",
      `http:// to ${storeHost.hostname} would send the store token in clear text: use https:// (http:// is for loopback hosts only)`,
    );
  }
  const storeToken = read("storeToken");
  const storeKey = read("storeKey");
  const twilioApiUrl = checkUrl("twilioApiUrl", read("twilioApiUrl"));
  // No default: the store service is private; Twilio and vendors must reach the receiver instead.
  const webhookBaseUrl = checkUrl("webhookBaseUrl", read("webhookBaseUrl"));
  return {
    ...(storeUrl ? { storeUrl } : {}),
    ...(storeToken ? { storeToken } : {}),
    storePath: path.resolve(projectDir, read("storePath") ?? path.join(".smschannels", "store.db")),
    ...(storeKey ? { storeKey } : {}),
    validation: validation as ValidationMode,
    ...(twilioApiUrl ? { twilioApiUrl } : {}),
    ...(webhookBaseUrl ? { webhookBaseUrl } : {}),
    twilioTimeoutMs: timeout,
    allowPrivateVendorHosts: allowPrivate === "true",
  };
}
