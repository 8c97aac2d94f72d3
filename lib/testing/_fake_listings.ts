/**
 * Listing endpoints of the fake registry, paged with `n`/`last` and
 * `Link: <...>; rel="next"`: tags, the catalog and referrers.
 *
 * @module
 */

import { STATUS_CODE } from "@std/http/status";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import type { Context } from "./_fake_context.ts";
import { json, notFound, ociError } from "./_fake_http.ts";
import { compare, DIGEST_RE } from "./_fake_store.ts";

/** One page of a sorted listing. */
interface Page<T> {
  items: T[];
  /** The query of the next page, when there is one. */
  next?: string;
}

/** `GET /v2/<name>/tags/list?n=&last=`. */
export function listTags(ctx: Context): Response {
  const repo = ctx.state.store.repositories.get(ctx.name);
  if (repo === undefined) {
    return ociError(
      STATUS_CODE.NotFound,
      "NAME_UNKNOWN",
      "repository name not known",
      {
        name: ctx.name,
      },
    );
  }
  const tags = [...repo.tags.keys()].sort(compare);
  const page = paginate(ctx, tags, (t) => t, true);
  if (page instanceof Response) return page;
  return withLink(
    ctx,
    json({ name: ctx.name, tags: page.items }),
    `/v2/${ctx.name}/tags/list`,
    page,
  );
}

/** `GET /v2/_catalog?n=&last=`. */
export function listCatalog(ctx: Context): Response {
  const names = [...ctx.state.store.repositories.keys()].sort(compare);
  const page = paginate(ctx, names, (n) => n, true);
  if (page instanceof Response) return page;
  return withLink(
    ctx,
    json({ repositories: page.items }),
    "/v2/_catalog",
    page,
  );
}

/** `GET /v2/<name>/referrers/<digest>[?artifactType=]`. */
export function listReferrers(ctx: Context): Response {
  if (!ctx.state.options.referrersApi) return notFound();
  if (!DIGEST_RE.test(ctx.ref)) {
    return ociError(
      STATUS_CODE.BadRequest,
      "DIGEST_INVALID",
      "invalid digest",
      {
        digest: ctx.ref,
      },
    );
  }
  // An empty artifactType filters nothing (and is not reported as applied).
  const artifactType = ctx.url.searchParams.get("artifactType") || undefined;
  const descriptors = ctx.state.store.referrers(
    ctx.name,
    ctx.ref,
    artifactType,
  );
  const page = paginate(ctx, descriptors, (d) => d.digest, false);
  if (page instanceof Response) return page;
  if (page.next !== undefined && artifactType !== undefined) {
    page.next += `&artifactType=${encodeURIComponent(artifactType)}`;
  }
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: page.items,
  };
  const headers: Record<string, string> = {
    "content-type": MEDIA_TYPE.OCI_INDEX,
  };
  if (artifactType !== undefined) {
    headers["oci-filters-applied"] = "artifactType";
  }
  return withLink(
    ctx,
    json(index, STATUS_CODE.OK, headers),
    `/v2/${ctx.name}/referrers/${ctx.ref}`,
    page,
  );
}

/**
 * The page after `last` of at most `n` items (capped by `tagPageLimit`);
 * `forever` lets the `tagsPageForever` fault always announce a next page.
 */
function paginate<T>(
  ctx: Context,
  sorted: T[],
  key: (item: T) => string,
  forever: boolean,
): Page<T> | Response {
  const params = ctx.url.searchParams;
  const nParam = params.get("n");
  const n = nParam === null ? undefined : Number(nParam);
  if (n !== undefined && (!Number.isInteger(n) || n < 0 || nParam === "")) {
    return ociError(
      STATUS_CODE.BadRequest,
      "PAGINATION_NUMBER_INVALID",
      "n must be a non-negative integer",
      { n: nParam },
    );
  }
  if (n === 0) return { items: [] };
  const limit = Math.min(n ?? Infinity, ctx.state.options.tagPageLimit);
  const last = params.get("last");
  const after = last === null
    ? sorted
    : sorted.filter((item) => compare(key(item), last) > 0);
  const items = after.slice(0, limit);
  const more = after.length > limit ||
    (forever && ctx.state.faults.tagsPageForever === true);
  if (!more) return { items };
  // Past the end (`tagsPageForever`), each next page is a new one, after
  // a cursor that grows: an endless listing, not a cycle.
  const cursor = items.length > 0
    ? key(items[items.length - 1])
    : `${last ?? ""}~`;
  return {
    items,
    next: `n=${limit}&last=${encodeURIComponent(cursor)}`,
  };
}

/**
 * Adds the `Link` header of the next page (or the `badLink` fault; with the
 * `linkCycle` fault, the last page links back to the first).
 */
function withLink<T>(
  ctx: Context,
  response: Response,
  path: string,
  page: Page<T>,
): Response {
  const bad = ctx.state.faults.badLink;
  if (bad !== undefined) {
    response.headers.set("link", bad);
  } else if (page.next !== undefined) {
    response.headers.set("link", `<${path}?${page.next}>; rel="next"`);
  } else if (ctx.state.faults.linkCycle) {
    // The first page as the client asked for it: its query without `last`.
    const first = new URLSearchParams(ctx.url.search);
    first.delete("last");
    const query = first.size > 0 ? `?${first}` : "";
    response.headers.set("link", `<${path}${query}>; rel="next"`);
  }
  return response;
}
