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
    env: { ...process.env, SMSCHANNELS_STORE_KEY: key },
    encoding: "utf8",
  }).trim();
}

/** The store service as its own process (`pulumi-sms-channels-store serve`), so a test can kill it. */
export class ServiceProcess {
  readonly logs: string[] = [];
  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
  ) {}

  static async start(database: string, key: string, port: number): Promise<ServiceProcess> {
    const proc = spawn("node", [CLI, "serve", "--database", database, "--listen", `127.0.0.1:${port}`], {
      env: { ...process.env, SMSCHANNELS_STORE_KEY: key },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const logs: string[] = [];
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let buf = "";
      proc.stdout?.on("data", (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          logs.push(line);
          if (line.includes('"serving"')) resolve(`http://127.0.0.1:${port}`);
        }
      });
      proc.on("exit", (code) => reject(new Error(`store service exited ${code}: ${stderr}`)));
    });
    const s = new ServiceProcess(proc, url);
    s.logs.push(...logs);
    proc.stdout?.on("data", (d: Buffer) => s.logs.push(...d.toString().split("\n").filter(Boolean)));
    return s;
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
