/**
 * The parts of undici our clients use (Agent, Pool, a connector, its errors, `request`), loaded on
 * first use and without undici's entry point.
 *
 * Why: `require("undici")` loads 110 modules (~90–105 ms of CPU on this project's machines) because
 * its index builds fetch, WebSocket, EventSource, cookies, caches and mocks; a provider process needs
 * a dispatcher and `request`, which are 31 modules (~35 ms). A provider process starts on every
 * `pulumi preview` and `up`, so that load was the largest single part (~60 of ~270 ms of CPU) of the
 * provider's per-command cost beyond the engine's floor (issue 13).
 *
 * The paths below are undici's own files (the package has no `exports` map, so they are reachable);
 * if an undici release moves them, `undiciParts()` falls back to the entry point: slower, never broken.
 * test/unit/net-undici.test.ts fails on that fallback, so an upgrade that moves them is seen in CI.
 */
import type {
  Agent as AgentClass,
  buildConnector as BuildConnector,
  Dispatcher,
  Pool as PoolClass,
} from "undici";

export interface UndiciParts {
  readonly Agent: typeof AgentClass;
  readonly Pool: typeof PoolClass;
  readonly buildConnector: typeof BuildConnector;
  readonly errors: typeof import("undici").errors;
  /** undici's `Dispatcher#request`, callable on any dispatcher (also one that a test injects). */
  readonly dispatcherRequest: (
    this: Dispatcher,
    options: Dispatcher.RequestOptions,
  ) => Promise<Dispatcher.ResponseData>;
  /** Which way they were loaded: "parts" normally, "entry" when undici's files moved. */
  readonly loadedFrom: "parts" | "entry";
}

let loaded: UndiciParts | undefined;

/** How a module is loaded: `require`, or a test's stand-in for an undici whose files have moved. */
export type Load = (id: string) => unknown;

function fromParts(load: Load): Partial<UndiciParts> {
  return {
    Agent: load("undici/lib/dispatcher/agent.js") as typeof AgentClass,
    Pool: load("undici/lib/dispatcher/pool.js") as typeof PoolClass,
    buildConnector: load("undici/lib/core/connect.js") as typeof BuildConnector,
    errors: load("undici/lib/core/errors.js") as UndiciParts["errors"],
    dispatcherRequest: load("undici/lib/api/api-request.js") as UndiciParts["dispatcherRequest"],
    loadedFrom: "parts",
  };
}

function fromEntry(load: Load): UndiciParts {
  const u = load("undici") as typeof import("undici");
  return {
    Agent: u.Agent,
    Pool: u.Pool,
    buildConnector: u.buildConnector,
    errors: u.errors,
    dispatcherRequest: u.Dispatcher.prototype.request as UndiciParts["dispatcherRequest"],
    loadedFrom: "entry",
  };
}

function isWhole(p: Partial<UndiciParts>): p is UndiciParts {
  return (
    typeof p.Agent === "function" &&
    typeof p.Pool === "function" &&
    typeof p.buildConnector === "function" &&
    typeof p.errors?.SocketError === "function" &&
    typeof p.dispatcherRequest === "function"
  );
}

/** undici's parts by file, or its entry point when a file is missing or not what it was. */
export function loadUndiciParts(load: Load): UndiciParts {
  let parts: Partial<UndiciParts> | undefined;
  try {
    parts = fromParts(load);
  } catch {
    parts = undefined;
  }
  return parts && isWhole(parts) ? parts : fromEntry(load);
}

/** undici's parts, loaded once per process on first call. */
export function undiciParts(): UndiciParts {
  loaded ??= loadUndiciParts((id) => require(id));
  return loaded;
}

/** Options of {@link request}: undici's request options without origin and path, which come from the URL. */
export type RequestOptions = Omit<Dispatcher.RequestOptions, "origin" | "path" | "method"> & {
  readonly method: Dispatcher.HttpMethod;
};

/**
 * One HTTP request on a dispatcher, as undici's top-level `request(url, { dispatcher })` makes it:
 * origin and path (with the query) from the URL.
 */
export function request(
  dispatcher: Dispatcher,
  url: URL,
  options: RequestOptions,
): Promise<Dispatcher.ResponseData> {
  return undiciParts().dispatcherRequest.call(dispatcher, {
    ...options,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
  });
}
