import { execFile, type ChildProcess } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./pulumi";
import { startServing, withStoreKey } from "./store-process";

const CLI = path.join(REPO_ROOT, "dist", "store", "server", "cli.js");
const execFileP = promisify(execFile);

/**
 * The webhook receiver as its own process (`pulumi-sms-channels-store receive`, from dist/), on a
 * store's database, so a test can stop it, kill it, or never start it.
 */
export class ReceiverProcess {
  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
    /** Every line the process wrote to stdout, still growing. */
    readonly logs: string[],
  ) {}

  static async start(opts: {
    database: string;
    /** SMSCHANNELS_STORE_KEY; without it, a SQLite store's key file beside it. */
    key: string | undefined;
    port: number;
    /** The URL Twilio calls (signed): the stack's `smschannels:webhookBaseUrl`. */
    publicUrl: string;
  }): Promise<ReceiverProcess> {
    const { proc, url, logs } = await startServing(
      [
        CLI,
        "receive",
        "--database",
        opts.database,
        "--listen",
        `127.0.0.1:${opts.port}`,
        "--public-url",
        opts.publicUrl,
        // Vendors in tests and the demo are loopback emulators.
        "--allow-private-vendor-hosts",
      ],
      opts.key,
      opts.port,
      "receiver",
    );
    return new ReceiverProcess(proc, url, logs);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) return resolve();
      this.proc.once("exit", () => resolve());
      this.proc.kill("SIGTERM");
    });
  }
}

/** `pulumi-sms-channels-store consents list --json`: the ledger's consents, as an operator reads them. */
export async function consentsList(
  database: string,
  key: string | undefined,
  sandbox: string,
  number?: string,
): Promise<{ items: Record<string, unknown>[] }> {
  const args = [CLI, "consents", "list", "--database", database, "--sandbox", sandbox, "--json"];
  if (number) args.push("--number", number);
  const { stdout } = await execFileP("node", args, { env: withStoreKey(key) });
  return JSON.parse(stdout) as { items: Record<string, unknown>[] };
}

/** `pulumi-sms-channels-store messages show`: a message's status and its events, or undefined. */
export async function messageShow(
  database: string,
  key: string,
  sandbox: string,
  messageId: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    const { stdout } = await execFileP(
      "node",
      [CLI, "messages", "show", "--database", database, "--sandbox", sandbox, messageId],
      { env: { ...process.env, SMSCHANNELS_STORE_KEY: key } },
    );
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: unknown }).code === 1) return undefined;
    throw e;
  }
}
