import fs from "node:fs";
import type { LookupFunction } from "node:net";
import os from "node:os";
import type { TokenInfo } from "../../store/tokens/model";
import type { CredentialStore } from "../../store/types";
import { ConfigError, resolveSettings, type ConfigSource, type ProviderSettings } from "../config";
import type { CustomVendorClient } from "../../net/vendor/client";
import { TwilioHttpClient } from "../twilio/http";
import { TwilioValidator } from "../twilio/validate";
import { warn } from "./log";

/*
 * The store backends and the custom-vendor transport are required when first used, not with the
 * handlers: a provider process loads only what its resources need (a preview with no store file
 * opens no SQLite, a stack without custom vendors loads no vendor transport, the embedded store
 * never loads the service client). Each is ~10-20 modules, native SQLite among them, on the path
 * of the first check, which every resource depending on a credential waits for (issue 13).
 */
const httpStoreModule = () =>
  require("../../store/client/http-store") as typeof import("../../store/client/http-store");
const vendorModule = () => require("../../net/vendor/client") as typeof import("../../net/vendor/client");

/** What tests replace in a context: the world outside the process. */
export interface ContextSeams {
  /**
   * Resolves custom vendors' host names (default: the system's DNS). The SSRF guard judges its
   * answers, so a test can make a public-looking name resolve to this machine.
   */
  readonly lookup?: LookupFunction;
}

/**
 * What the provider process shares between resources: settings, the store (opened on first use, so a
 * preview that needs no record never creates a store file) and the Twilio validator with its memo.
 */
export class ProviderContext {
  private storePromise: Promise<CredentialStore> | undefined;
  private vendor: CustomVendorClient | undefined;
  private readonly ownsStore: boolean;
  readonly http: TwilioHttpClient;
  readonly validator: TwilioValidator;
  readonly actor: string;

  /**
   * `store`: an open store to use instead of the one the settings name (tests: a SQLite store in a
   * temporary folder); the context does not close it.
   */
  constructor(
    readonly settings: ProviderSettings,
    store?: CredentialStore,
    private readonly seams: ContextSeams = {},
  ) {
    this.ownsStore = store === undefined;
    if (store) this.storePromise = Promise.resolve(store);
    this.http = new TwilioHttpClient({
      ...(settings.twilioApiUrl ? { apiUrl: settings.twilioApiUrl } : {}),
      timeoutMs: settings.twilioTimeoutMs,
    });
    this.validator = new TwilioValidator(this.http);
    let user = "unknown";
    try {
      user = os.userInfo().username;
    } catch {
      // no passwd entry (some containers): keep "unknown"
    }
    this.actor = `pulumi:${user}@${os.hostname()}`;
  }

  /** The custom-vendor transport, with its OAuth2 token cache, shared by every custom credential. */
  vendorClient(): CustomVendorClient {
    this.vendor ??= new (vendorModule().CustomVendorClient)({
      timeoutMs: this.settings.twilioTimeoutMs,
      allowPrivateHosts: this.settings.allowPrivateVendorHosts,
      ...(this.seams.lookup ? { lookup: this.seams.lookup } : {}),
    });
    return this.vendor;
  }

  /** Closes the network clients and the store it opened (not one given to the constructor). */
  async close(): Promise<void> {
    const opened = this.ownsStore ? this.storePromise?.catch(() => undefined) : undefined;
    this.storePromise = undefined;
    await Promise.all([this.http.close(), this.vendor?.close(), opened?.then((s) => s?.close())]);
  }

  store(): Promise<CredentialStore> {
    this.storePromise ??= this.openStore().catch((e: unknown) => {
      this.storePromise = undefined;
      throw e;
    });
    return this.storePromise;
  }

  /**
   * The store when there may be records in it: the service always, the embedded store only once its
   * file exists (a preview must not create it).
   */
  async storeIfPresent(): Promise<CredentialStore | undefined> {
    if (!this.settings.storeUrl && !fs.existsSync(this.settings.storePath)) return undefined;
    return this.store();
  }

  private tokenPromise: Promise<TokenInfo | undefined> | undefined;

  /** The service token's sandbox and scopes, asked once per process; undefined on the embedded store. */
  tokenInfo(): Promise<TokenInfo | undefined> {
    this.tokenPromise ??= this.store().then((s) => {
      // Asked only with smschannels:storeUrl set (preflight.ts), when the service client is loaded anyway.
      return s instanceof httpStoreModule().HttpStore ? s.tokenInfo() : undefined;
    });
    return this.tokenPromise;
  }

  private async openStore(): Promise<CredentialStore> {
    const s = this.settings;
    if (s.storeUrl) {
      if (!s.storeToken) {
        throw new ConfigError(
          "storeToken",
          "the store service at smschannels:storeUrl needs a bearer token: pulumi config set --secret smschannels:storeToken <token>",
        );
      }
      return new (httpStoreModule().HttpStore)({ url: s.storeUrl, token: s.storeToken });
    }
    const { openEmbeddedStore } = require("../../store/embedded") as typeof import("../../store/embedded");
    return openEmbeddedStore({ path: s.storePath, ...(s.storeKey ? { key: s.storeKey } : {}), warn });
  }
}

/** The context of this provider process, from the stack config the engine hands `configure`. */
export function contextFromConfig(req: { config: ConfigSource } | undefined): ProviderContext {
  return new ProviderContext(resolveSettings(req?.config));
}
