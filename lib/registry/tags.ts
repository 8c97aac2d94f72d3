/**
 * Tags of a repository (`GET /v2/<name>/tags/list`), across pages: the
 * listing follows `Link: rel="next"`, and asks for the rest with `last=`
 * when a registry pages without `Link` (see `_paging.ts`). The page size
 * asked for is capped at the registry's largest (ECR: 1000; see
 * `registries.ts`).
 *
 * The public entry points are `RegistryClientV2.iterateTags` and
 * `RegistryClientV2.listTags`.
 *
 * @module
 */

import type { RepoContext } from "./_context.ts";
import { type NamePage, namePages } from "./_paging.ts";
import type { ListOptions, TagList } from "./options.ts";

function tagPages(
  ctx: RepoContext,
  options: ListOptions,
): AsyncGenerator<NamePage> {
  return namePages(
    ctx,
    ctx.http.url("tags/list"),
    "tags",
    `list tags of "${ctx.http.name}"`,
    options,
  );
}

/**
 * Every tag of the repository, page by page.
 *
 * @internal Plumbing of `RegistryClientV2.iterateTags`.
 * @param ctx The client's shared state.
 * @param options Page size, page bound and cancellation.
 * @returns The tags, as they come.
 * @throws {NotFoundError} When the repository does not exist.
 */
export async function* iterateTags(
  ctx: RepoContext,
  options: ListOptions,
): AsyncGenerator<string> {
  for await (const page of tagPages(ctx, options)) yield* page.items;
}

/**
 * Every tag of the repository, across all pages, with the repository name
 * the registry gives.
 *
 * @internal Plumbing of `RegistryClientV2.listTags`.
 * @param ctx The client's shared state.
 * @param options Page size, page bound and cancellation.
 * @returns `{name, tags}`.
 * @throws {NotFoundError} When the repository does not exist.
 */
export async function listTags(
  ctx: RepoContext,
  options: ListOptions,
): Promise<TagList> {
  let name = ctx.http.name;
  const tags: string[] = [];
  for await (const page of tagPages(ctx, options)) {
    if (page.name) name = page.name;
    tags.push(...page.items);
  }
  return { name, tags };
}
