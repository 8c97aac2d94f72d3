/**
 * The registry's catalog of repositories (`GET /v2/_catalog`), across pages
 * (see `_paging.ts`). Most public registries refuse it or need extra rights
 * (`registry:catalog:*`).
 *
 * The public entry points are `RegistryClientV2.iterateCatalog` and
 * `RegistryClientV2.listCatalog`.
 *
 * @module
 */

import type { RepoContext } from "./_context.ts";
import { namePages } from "./_paging.ts";
import type { Catalog, ListOptions } from "./options.ts";

/**
 * Every repository of the registry, page by page.
 *
 * @internal Plumbing of `RegistryClientV2.iterateCatalog`.
 * @param ctx The client's shared state.
 * @param options Page size, page bound and cancellation.
 * @returns The repository names, as they come.
 * @throws {AuthenticationError} When the catalog needs more rights.
 */
export async function* iterateCatalog(
  ctx: RepoContext,
  options: ListOptions,
): AsyncGenerator<string> {
  const pages = namePages(
    ctx,
    `${ctx.http.baseUrl}/v2/_catalog`,
    "repositories",
    `list the catalog of ${ctx.http.baseUrl}`,
    options,
  );
  for await (const page of pages) yield* page.items;
}

/**
 * Every repository of the registry, across all pages.
 *
 * @internal Plumbing of `RegistryClientV2.listCatalog`.
 * @param ctx The client's shared state.
 * @param options Page size, page bound and cancellation.
 * @returns `{repositories}`.
 * @throws {AuthenticationError} When the catalog needs more rights.
 */
export async function listCatalog(
  ctx: RepoContext,
  options: ListOptions,
): Promise<Catalog> {
  const repositories: string[] = [];
  for await (const r of iterateCatalog(ctx, options)) repositories.push(r);
  return { repositories };
}
