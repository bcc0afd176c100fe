/** The store service on 127.0.0.1:0 over a throwaway SQLite file, for HTTP and client tests. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CoreStore,
  Keyring,
  SqliteBackend,
  SqliteTokenRepository,
  StoreServer,
  TokenService,
  type StoreServerOptions,
  type TokenScope,
} from "../../store";
import { jsonLogger } from "../../store/server/log";

export interface TestService {
  readonly url: string;
  readonly core: CoreStore;
  readonly server: StoreServer;
  readonly tokens: TokenService;
  /** The service's log lines, parsed. */
  readonly logs: string[];
  /** A new token; its id is what the audit log names. */
  token(sandbox: string, ...scopes: TokenScope[]): Promise<{ token: string; id: string }>;
  close(): Promise<void>;
}

export async function startTestService(
  options: Partial<Omit<StoreServerOptions, "store" | "tokens" | "logger">> = {},
): Promise<TestService> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-service-"));
  const backend = new SqliteBackend(path.join(dir, "store.db"));
  const core = new CoreStore(backend, new Keyring([Buffer.from(Keyring.generateKeyText(), "base64")]));
  const tokens = new TokenService(new SqliteTokenRepository(backend));
  const logs: string[] = [];
  const server = new StoreServer({
    rateLimit: false,
    ...options,
    store: core,
    tokens,
    logger: jsonLogger((l) => logs.push(l)),
  });
  const url = await server.listen(0);
  let closed = false;
  return {
    url,
    core,
    server,
    tokens,
    logs,
    token: async (sandbox, ...scopes) => {
      const { token, record } = await tokens.create({ sandbox, scopes });
      return { token, id: record.id };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await server.shutdown();
      await core.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
