import type { Principal } from "./auth";
import type { RequestBody } from "./body";
import { TwilioApiError } from "./errors";
import type { EmulatorState } from "./state";

/** Matching a request to a handler by path template and method: unknown path 404, wrong method 405. */

export interface RouteContext {
  readonly state: EmulatorState;
  readonly principal: Principal;
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: RequestBody;
  /** Origin of the absolute URLs of the Messaging API answers. */
  readonly messagingBase: string;
  readonly now: () => Date;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (ctx: RouteContext) => ApiResponse;

export interface Route {
  /** Twilio's path template, e.g. `/2010-04-01/Accounts/{AccountSid}/Messages.json`. */
  readonly template: string;
  readonly handlers: Readonly<Partial<Record<string, Handler>>>;
}

interface CompiledRoute extends Route {
  readonly regex: RegExp;
  readonly names: readonly string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.template
    .split(/(\{[A-Za-z]+\})/)
    .map((part) => {
      const m = /^\{([A-Za-z]+)\}$/.exec(part);
      if (m?.[1]) {
        names.push(m[1]);
        return "([^/.]+)";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  return { ...route, regex: new RegExp(`^${source}$`), names };
}

export interface RouteMatch {
  readonly template: string;
  readonly handler: Handler;
  readonly params: Record<string, string>;
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map(compile);
  }

  /** The handler for the request; throws Twilio's 404 (20404) or 405 (20004). */
  match(method: string, path: string): RouteMatch {
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      const handler = route.handlers[method];
      if (!handler) throw TwilioApiError.methodNotAllowed(method, Object.keys(route.handlers));
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? "");
      });
      return { template: route.template, handler, params };
    }
    throw TwilioApiError.notFound(path);
  }
}

/** A path parameter the template guarantees. */
export function param(ctx: RouteContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route has no parameter ${name}`);
  return value;
}
