import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./pulumi";

export { freePort } from "./http-server";

const CLI = path.join(REPO_ROOT, "dist", "store", "server", "cli.js");

/** `pulumi-sms-channels-store token create`, as an admin runs it; returns the token (shown once). */
export function createToken(database: string, key: string, sandbox: string, ...scopes: string[]): string {
  const args = [CLI, "token", "create", "--database", database, "--sandbox", sandbox];
  for (const s of scopes) args.push("--scope", s);
  return execFileSync("node", args, {
    env: withStoreKey(key),
    encoding: "utf8",
  }).trim();
}

/** The store service as its own process (`pulumi-sms-channels-store serve`), so a test can kill it. */
export class ServiceProcess {
  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
    /** Every line the process wrote to stdout, still growing. */
    readonly logs: string[],
  ) {}

  static async start(database: string, key: string, port: number): Promise<ServiceProcess> {
    const { proc, url, logs } = await startServing(
      [CLI, "serve", "--database", database, "--listen", `127.0.0.1:${port}`],
      key,
      port,
      "store service",
    );
    return new ServiceProcess(proc, url, logs);
  }

  kill(): Promise<void> {
    return new Promise((resolve) => {
      if (this.proc.exitCode !== null) return resolve();
      this.proc.once("exit", () => resolve());
      this.proc.kill("SIGKILL");
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.proc.exitCode !== null) return resolve();
      this.proc.once("exit", () => resolve());
      this.proc.kill("SIGTERM");
    });
  }
}

/** The environment with SMSCHANNELS_STORE_KEY as given, or without it (a SQLite store's key file then). */
export function withStoreKey(key: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (key === undefined) delete env["SMSCHANNELS_STORE_KEY"];
  else env["SMSCHANNELS_STORE_KEY"] = key;
  return env;
}

/**
 * Spawns `node <args>` (a `pulumi-sms-channels-store` command that listens) with the store key, and
 * waits for its `"serving"` log line. `logs` holds every stdout line, then keeps collecting them.
 */
export async function startServing(
  args: readonly string[],
  key: string | undefined,
  port: number,
  label: string,
): Promise<{ proc: ChildProcess; url: string; logs: string[] }> {
  const proc = spawn("node", [...args], {
    env: { ...process.env, SMSCHANNELS_STORE_KEY: key },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  let stderr = "";
  proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  let buf = "";
  proc.stdout?.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      logs.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    const ready = (): void => {
      if (!logs.some((line) => line.includes('"serving"'))) return;
      proc.stdout?.off("data", ready);
      resolve(`http://127.0.0.1:${port}`);
    };
    proc.stdout?.on("data", ready);
    proc.on("exit", (code) => reject(new Error(`${label} exited ${code}: ${stderr}`)));
  });
  return { proc, url, logs };
}
