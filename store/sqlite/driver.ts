/**
 * The SQLite driver, better-sqlite3, loaded only once its version is known to work on this Node.js.
 * The package accepts 12 and 13 (npm picks by `engines`: 12 on Node.js 20, 13 on 22 and 24), but
 * 13 needs Node-API 10, which Node.js has from 22.14: npm installs 13 on any Node 22 (it declares only
 * `node >=22`), and a lock file written on Node 22 or 24 brings 13 to Node 20. There it crashes the
 * whole process (a segfault, nothing to catch) when the store opens. Said before that, with the fix.
 */
import fs from "node:fs";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { StoreError } from "../errors";

/** Why better-sqlite3 `driver` cannot run on Node.js `node`, or undefined when it can. */
export function sqliteRuntimeProblem(node: string, driver: string): string | undefined {
  const [major = 0, minor = 0] = node.split(".").map(Number);
  const driverMajor = Number(driver.split(".")[0]);
  const napi10 = major > 22 || (major === 22 && minor >= 14);
  if (driverMajor < 13 || napi10) return undefined;
  return (
    `the embedded store's SQLite driver, better-sqlite3 ${driver}, needs Node.js 22.14 or later ` +
    `(Node-API 10); this is Node.js ${node}, where it would crash when the store opens. Use Node.js ` +
    `22.14+ or 24, or on Node.js 20 install the driver for it: npm install better-sqlite3@12`
  );
}

/** The installed better-sqlite3's version (13 exports no package.json: read it beside its main). */
function driverVersion(): string | undefined {
  try {
    const main = require.resolve("better-sqlite3");
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(main), "..", "package.json"), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

let loaded: typeof BetterSqlite3 | undefined;

export function sqliteDriver(): typeof BetterSqlite3 {
  if (loaded) return loaded;
  const version = driverVersion();
  const problem = version === undefined ? undefined : sqliteRuntimeProblem(process.versions.node, version);
  if (problem) throw new StoreError("UNAVAILABLE", problem);
  loaded = require("better-sqlite3") as typeof BetterSqlite3;
  return loaded;
}
