import { TwilioApiError } from "./errors";

/**
 * Twilio list paging: `PageSize` (1–1000, default 50), `Page` (index, for client state) and
 * `PageToken` (`PA<sid>`: the page after that item; `PB<sid>`: the page before it). Next and previous
 * page links carry all three, plus the list's filters.
 */

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export interface Page<T> {
  readonly items: readonly T[];
  readonly page: number;
  readonly pageSize: number;
  /** Index of the first item of the page in the whole list. */
  readonly start: number;
  readonly hasNext: boolean;
  readonly hasPrevious: boolean;
  /** The filters to keep in the page links, in order. */
  readonly filters: ReadonlyArray<readonly [string, string]>;
}

function intParam(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw TwilioApiError.invalidParameter(`Invalid ${name}: ${raw}`);
  const n = Number(raw);
  if (n < min || n > max) {
    throw TwilioApiError.invalidParameter(`${name} must be between ${min} and ${max}`);
  }
  return n;
}

/** Cuts one page of `items` (in list order) as the query asks. */
export function paginate<T extends { readonly sid: string }>(
  items: readonly T[],
  query: URLSearchParams,
  filters: ReadonlyArray<readonly [string, string]> = [],
): Page<T> {
  const pageSize = intParam(query, "PageSize", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
  const page = intParam(query, "Page", 0, Number.MAX_SAFE_INTEGER, 0);
  const token = query.get("PageToken");
  let start = page * pageSize;
  if (token) {
    const m = /^(PA|PB)([A-Za-z]{2}[0-9a-fA-F]{32})$/.exec(token);
    const index = m ? items.findIndex((it) => it.sid === m[2]) : -1;
    if (!m || index < 0) throw TwilioApiError.invalidParameter(`Invalid PageToken: ${token}`);
    start = m[1] === "PA" ? index + 1 : Math.max(0, index - pageSize);
  }
  const slice = items.slice(start, start + pageSize);
  return {
    items: slice,
    page,
    pageSize,
    start,
    hasNext: start + pageSize < items.length,
    hasPrevious: start > 0,
    filters,
  };
}

function pageQuery<T extends { readonly sid: string }>(
  p: Page<T>,
  which: "first" | "this" | "next" | "previous",
  filtersFirst: boolean,
): string {
  const paging: Array<[string, string]> = [["PageSize", String(p.pageSize)]];
  if (which === "first") paging.push(["Page", "0"]);
  else if (which === "this") paging.push(["Page", String(p.page)]);
  else if (which === "next") {
    const last = p.items[p.items.length - 1];
    paging.push(["Page", String(p.page + 1)]);
    if (last) paging.push(["PageToken", `PA${last.sid}`]);
  } else {
    const first = p.items[0];
    paging.push(["Page", String(Math.max(0, p.page - 1))]);
    if (first) paging.push(["PageToken", `PB${first.sid}`]);
  }
  const filters = p.filters.map(([k, v]): [string, string] => [k, v]);
  const pairs = filtersFirst ? [...filters, ...paging] : [...paging, ...filters];
  return new URLSearchParams(pairs).toString();
}

/**
 * The 2010 API envelope, with root-relative URIs as Twilio answers them:
 * `{ first_page_uri, end, previous_page_uri, <key>: [...], uri, page_size, start, next_page_uri, page }`.
 */
export function v2010Envelope<T extends { readonly sid: string }>(
  key: string,
  p: Page<T>,
  basePath: string,
  render: (item: T) => unknown,
): Record<string, unknown> {
  const count = p.items.length;
  const uri = (which: "first" | "this" | "next" | "previous"): string =>
    `${basePath}?${pageQuery(p, which, true)}`;
  return {
    first_page_uri: uri("first"),
    end: count === 0 ? p.start : p.start + count - 1,
    previous_page_uri: p.hasPrevious ? uri("previous") : null,
    [key]: p.items.map(render),
    uri: uri("this"),
    page_size: p.pageSize,
    start: p.start,
    next_page_uri: p.hasNext && count > 0 ? uri("next") : null,
    page: p.page,
  };
}

/**
 * The envelope of the newer APIs (Messaging v1/v2), with absolute URLs:
 * `{ <key>: [...], meta: { page, page_size, first_page_url, previous_page_url, url, next_page_url, key } }`.
 */
export function metaEnvelope<T extends { readonly sid: string }>(
  key: string,
  p: Page<T>,
  baseUrl: string,
  render: (item: T) => unknown,
): Record<string, unknown> {
  const url = (which: "first" | "this" | "next" | "previous"): string =>
    `${baseUrl}?${pageQuery(p, which, false)}`;
  return {
    [key]: p.items.map(render),
    meta: {
      page: p.page,
      page_size: p.pageSize,
      first_page_url: url("first"),
      previous_page_url: p.hasPrevious ? url("previous") : null,
      url: url("this"),
      next_page_url: p.hasNext && p.items.length > 0 ? url("next") : null,
      key,
    },
  };
}
