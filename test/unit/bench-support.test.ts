/**
 * bench/support.ts, what the store and receiver benchmarks share: the percentile they report, and
 * the store CLI started as its own process and stopped again (here `serve` on a SQLite file).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { percentile, startServing, stopChild } from "../../bench/support";

it("percentile: the value at floor(p% of n), or the given value when there is none", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(sorted, 50)).toBe(51);
  expect(percentile(sorted, 99)).toBe(100);
  expect(percentile(sorted, 100)).toBe(100);
  expect(percentile([], 50)).toBeNaN();
  expect(percentile([], 50, 0)).toBe(0);
});

it("startServing: resolves on the CLI's serving line, which says where it listens; stopChild ends it", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "smsc-bench-support-"));
  try {
    const env = { SMSCHANNELS_STORE_KEY: randomBytes(32).toString("base64") };
    const database = path.join(dir, "store.db");
    const { child, serving } = await startServing(
      ["serve", "--database", database, "--listen", "127.0.0.1:0"],
      env,
    );
    const url = /"url":"([^"]+)"/.exec(serving)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/v1/sandboxes/prod/records`)).status).toBe(401);
    await stopChild(child);
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    // A command that does not serve: the promise says how it ended.
    await expect(startServing(["serve", "--listen", "127.0.0.1:0"], env)).rejects.toThrow(
      /pulumi-sms-channels-store serve exited/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
