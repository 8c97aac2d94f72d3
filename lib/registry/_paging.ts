// Private: the one paging loop. Tags, the catalog and the referrers are read
// page by page, following `Link: <…>; rel="next"` (as the distribution spec
// pages listings): each page read up to a bound, a next page on another
// host refused, a next page already read refused at once (a cycle, which
// would otherwise be followed until `maxPages`), at most `maxPages` pages
// and `maxListingBytes` bytes in all (what a listing read whole keeps).
// Listings of names (tags, catalog) also ask for the rest with `last=` when
// a registry sends a full page without `Link`, as long as the listing
// advances.

import { readBounded } from "../http/_body.ts";
import { redactUrl } from "../http/_redact.ts";
import { nextLink } from "../http/link.ts";
import { InvalidResponseError, LimitExceededError } from "../errors.ts";
import { isJsonObject } from "../ref/_manifest_checks.ts";
import { quirksFor } from "../registries.ts";
import type { CallOptions, RepoHttp } from "./_repo_http.ts";
import { maxPages, type RepoContext } from "./_context.ts";
import { parseJson } from "./_json.ts";
import type { ListOptions } from "./options.ts";

/** Pages of names (tags, repositories) are read up to this many bytes. */
const NAME_PAGE_MAX_BYTES = 16 * 1024 * 1024;

/** The most bytes of one listing, all pages together, by default (64 MiB). */
export const DEFAULT_MAX_LISTING_BYTES: number = 64 * 1024 * 1024;

/** How to read one paged listing. */
export interface Paging<T> {
  /** What is being done, for messages: `Cannot <attempted>: …`. */
  attempted: string;
  /** The first page. */
  url: URL;
  /** Cancellation. */
  call: CallOptions | undefined;
  /** The most pages followed; one more is an `InvalidResponseError`. */
  maxPages: number;
  /** The most bytes of one page. */
  maxBytes: number;
  /** The most bytes of all pages together. @default {DEFAULT_MAX_LISTING_BYTES} */
  maxTotalBytes?: number;
  /** Headers of every page request, e.g. `Accept`. */
  headers?: HeadersInit;
  /** Reads one page's JSON body; throws when the page is not valid. */
  read: (json: unknown, headers: Headers) => T;
  /** For a page without `Link`: the next page anyway, if any. */
  nextWithoutLink?: (page: T, url: URL) => URL | undefined;
  /**
   * When the first page answers 404: the one page to give instead (the
   * listing then ends). Without it, a 404 is a `NotFoundError`, as on any
   * later page (a listing is never cut short silently).
   */
  onFirstPage404?: () => Promise<T>;
}

/** Reads a listing page by page; see {@linkcode Paging}. */
export async function* pages<T>(
  http: RepoHttp,
  p: Paging<T>,
): AsyncGenerator<T> {
  let url: URL | undefined = p.url;
  const seen = new Set<string>();
  const maxTotal = p.maxTotalBytes ?? DEFAULT_MAX_LISTING_BYTES;
  let total = 0;
  for (let n = 0; url !== undefined; n++) {
    const key = pageKey(url);
    if (seen.has(key)) {
      throw new InvalidResponseError(
        p.attempted,
        `page ${n + 1} is ${
          redactUrl(url.href)
        }, a page already read: the Link headers go round in a cycle`,
      );
    }
    seen.add(key);
    if (n >= p.maxPages) {
      throw new InvalidResponseError(
        p.attempted,
        `more than ${p.maxPages} pages (raise maxPages to read further)`,
      );
    }
    const fallback = n === 0 ? p.onFirstPage404 : undefined;
    const res = await http.send(
      p.attempted,
      http.request("GET", url.href, p.call, { headers: p.headers }),
      fallback ? [200, 404] : [200],
    );
    if (res.status === 404) {
      await res.body?.cancel();
      yield await fallback!();
      return;
    }
    const link = res.headers.get("link");
    const room = maxTotal - total;
    const body = room >= p.maxBytes
      ? await readBounded(res, p.maxBytes, p.attempted)
      : await readBounded(
        res,
        room,
        p.attempted,
        (_, __, size) =>
          tooMuch(p.attempted, total + (size ?? room + 1), maxTotal),
      );
    total += body.byteLength;
    const page = p.read(parseJson(body, p.attempted), res.headers);
    yield page;
    url = nextPage(link, url, p.attempted) ?? p.nextWithoutLink?.(page, url);
  }
}

/** The error of a listing over `maxListingBytes`. */
function tooMuch(attempted: string, total: number, max: number): never {
  throw new LimitExceededError(
    attempted,
    "listing bytes",
    total,
    max,
    "maxListingBytes",
    "bytes",
  );
}

/**
 * What makes two page URLs the same page: the path and the query, its
 * parameters in any order (a registry that shuffles them is still going
 * round).
 */
function pageKey(url: URL): string {
  const params = [...url.searchParams].sort(([a, x], [b, y]) =>
    a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0
  );
  return `${url.pathname}?${new URLSearchParams(params)}`;
}

/** The `rel="next"` target of `link`, on the same host as `url`. */
function nextPage(
  link: string | null,
  url: URL,
  attempted: string,
): URL | undefined {
  let next: URL | undefined;
  try {
    next = nextLink(link, url);
  } catch (cause) {
    throw new InvalidResponseError(attempted, "the Link header is not valid", {
      cause,
    });
  }
  if (next !== undefined && next.origin !== url.origin) {
    throw new InvalidResponseError(
      attempted,
      `the next page points to another host (${next.host})`,
    );
  }
  return next;
}

/** One page of names: the repository name (tags) and the names. */
export interface NamePage {
  /** `name` of a tag list, as the registry gives it. */
  name?: string;
  /** The tags or repositories of the page. */
  items: string[];
}

/**
 * Pages of a listing of names: `tags` of `/v2/<name>/tags/list`, or
 * `repositories` of `/v2/_catalog`. The page size asked for is capped at the
 * registry's largest (see `quirksFor`).
 */
export function namePages(
  ctx: RepoContext,
  url: string,
  key: "tags" | "repositories",
  attempted: string,
  options: ListOptions,
): AsyncGenerator<NamePage> {
  const quirkMax = quirksFor(ctx.repo.index.name).maxPageSize;
  const pageSize = options.pageSize !== undefined && quirkMax !== undefined
    ? Math.min(options.pageSize, quirkMax)
    : options.pageSize;
  const first = new URL(url);
  if (pageSize !== undefined) first.searchParams.set("n", String(pageSize));
  let previousLast: string | undefined;
  return pages(ctx.http, {
    attempted,
    url: first,
    call: options,
    maxPages: maxPages(ctx, options.maxPages),
    maxBytes: NAME_PAGE_MAX_BYTES,
    maxTotalBytes: ctx.options.maxListingBytes,
    read: (json) => readNames(json, key, attempted),
    nextWithoutLink: ({ items }, current) => {
      // A full page without Link: ask for the rest with last=, as long as
      // the listing advances.
      if (pageSize === undefined || items.length !== pageSize) return;
      if (items.length === 0) return;
      const last = items[items.length - 1];
      let next: URL | undefined;
      if (previousLast === undefined || last > previousLast) {
        next = new URL(current);
        next.searchParams.set("last", last);
      }
      previousLast = last;
      return next;
    },
  });
}

function readNames(json: unknown, key: string, attempted: string): NamePage {
  if (!isJsonObject(json)) {
    throw new InvalidResponseError(attempted, "the body is not a JSON object");
  }
  const list = json[key] ?? [];
  if (!Array.isArray(list) || list.some((t) => typeof t !== "string")) {
    throw new InvalidResponseError(
      attempted,
      `"${key}" is not a list of strings`,
    );
  }
  return {
    name: typeof json.name === "string" ? json.name : undefined,
    items: list as string[],
  };
}
