/**
 * Referrers (OCI 1.1): the manifests whose `subject` is a given manifest —
 * signatures, SBOMs, attestations.
 *
 * `GET /v2/<name>/referrers/<digest>` answers an image index, paged with
 * `Link` like the other listings (the one loop of `_paging.ts`), each page
 * read up to `maxManifestBytes`. `?artifactType=` asks the registry to
 * filter; when it says it did not (`OCI-Filters-Applied`), the client
 * filters. A registry without the API answers 404 to the first page: the
 * fallback index tagged `<alg>-<hex>` of the subject is read instead (the
 * one `manifest_push.ts` keeps up to date on such registries). A 404 on a
 * later page is an error, never a list cut short.
 *
 * @module
 */

import { parseDigest } from "../ref/_digest_core.ts";
import { InvalidResponseError, NotFoundError } from "../errors.ts";
import { isJsonObject, isObjectList } from "../ref/_manifest_checks.ts";
import {
  type Descriptor,
  type ImageIndex,
  isImageIndex,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import { maxManifestBytes, maxPages, type RepoContext } from "./_context.ts";
import { pages } from "./_paging.ts";
import { getManifest } from "./manifests.ts";
import type { ManifestResult, ReferrersOptions } from "./options.ts";

/** One page of referrers, and whether the registry filtered it. */
interface ReferrersPage {
  manifests: Descriptor[];
  filtered: boolean;
}

/**
 * The referrers of a manifest, across pages, or from the fallback tag.
 *
 * @internal Plumbing of `RegistryClientV2.getReferrers`.
 * @param ctx The client's shared state.
 * @param digest The digest of the manifest referred to.
 * @param options An artifact type to filter on, cancellation.
 * @returns An OCI image index whose `manifests` are the referrers.
 * @throws {InvalidResponseError} When the answer is not an index.
 * @throws {NotFoundError} When a page after the first answers 404.
 */
export async function getReferrers(
  ctx: RepoContext,
  digest: string,
  options: ReferrersOptions,
): Promise<ImageIndex> {
  const { algorithm, encoded } = parseDigest(digest);
  const attempted = `get referrers of "${ctx.http.name}@${digest}"`;
  const url = new URL(ctx.http.url(`referrers/${digest}`));
  if (options.artifactType) {
    url.searchParams.set("artifactType", options.artifactType);
  }
  const manifests: Descriptor[] = [];
  let filtered = false;
  const listing = pages<ReferrersPage>(ctx.http, {
    attempted,
    url,
    call: options,
    maxPages: maxPages(ctx),
    maxBytes: maxManifestBytes(ctx),
    maxTotalBytes: ctx.options.maxListingBytes,
    headers: { accept: MEDIA_TYPE.OCI_INDEX },
    read: (json, headers) => ({
      manifests: readIndexPage(json, attempted),
      filtered: (headers.get("oci-filters-applied") ?? "")
        .split(",").map((s) => s.trim()).includes("artifactType"),
    }),
    onFirstPage404: async () => ({
      manifests: await fromFallbackTag(ctx, `${algorithm}-${encoded}`, options),
      filtered: true,
    }),
  });
  for await (const page of listing) {
    manifests.push(...page.manifests);
    filtered ||= page.filtered;
  }
  return referrersIndex(
    filtered ? manifests : filterArtifactType(manifests, options.artifactType),
  );
}

function readIndexPage(json: unknown, attempted: string): Descriptor[] {
  if (!isJsonObject(json) || !Array.isArray(json.manifests)) {
    throw new InvalidResponseError(
      attempted,
      "the answer is not an image index",
    );
  }
  if (!isObjectList(json.manifests)) {
    throw new InvalidResponseError(
      attempted,
      "an entry of the index's manifests is not an object",
    );
  }
  return json.manifests as unknown as Descriptor[];
}

/** The referrers from the `<alg>-<hex>` fallback tag, filtered; none when it is missing. */
async function fromFallbackTag(
  ctx: RepoContext,
  tag: string,
  options: ReferrersOptions,
): Promise<Descriptor[]> {
  let found: ManifestResult;
  try {
    found = await getManifest(ctx, tag, { signal: options.signal });
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    throw err;
  }
  const attempted = `get referrers fallback tag "${ctx.http.name}:${tag}"`;
  if (!isImageIndex(found.manifest)) {
    throw new InvalidResponseError(
      attempted,
      "the tag does not hold an image index",
    );
  }
  if (!isObjectList(found.manifest.manifests)) {
    throw new InvalidResponseError(
      attempted,
      "an entry of the index's manifests is not an object",
    );
  }
  return filterArtifactType(found.manifest.manifests, options.artifactType);
}

function filterArtifactType(
  manifests: Descriptor[],
  artifactType: string | undefined,
): Descriptor[] {
  return artifactType === undefined
    ? manifests
    : manifests.filter((d) => d.artifactType === artifactType);
}

function referrersIndex(manifests: Descriptor[]): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA_TYPE.OCI_INDEX, manifests };
}
