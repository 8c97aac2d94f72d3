/**
 * What particular registries do differently, in one table, so the client has
 * no `if (host === ...)` scattered through it.
 *
 * @module
 */

/** How one registry departs from the spec or from the defaults. */
export interface RegistryQuirks {
  /** The host the V2 API is served from, when it differs from the index name. */
  apiHost?: string;
  /** The largest page size (`n`) the registry accepts on listings. */
  maxPageSize?: number;
  /** The largest upload chunk the registry accepts, in bytes. */
  maxChunkSize?: number;
  /** A note for people reading the table. */
  note?: string;
}

/** A registry, matched by exact index name or by a host-name suffix. */
interface QuirkEntry {
  match: string | RegExp;
  quirks: RegistryQuirks;
}

const TABLE: readonly QuirkEntry[] = [
  {
    match: "docker.io",
    quirks: {
      apiHost: "registry-1.docker.io",
      note:
        "credentials filed under https://index.docker.io/v1/; RateLimit-Limit/RateLimit-Remaining on manifest requests; HEAD is not counted",
    },
  },
  {
    match: /\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/,
    quirks: {
      maxPageSize: 1000,
      note: "answers 201 to a chunk PATCH; credentials through a helper",
    },
  },
  {
    match: "ghcr.io",
    quirks: {
      maxChunkSize: 4 * 1024 * 1024,
      note: "anonymous pulls still need a token; blob redirects to storage",
    },
  },
  {
    match: /(^|\.)gcr\.io$|-docker\.pkg\.dev$/,
    quirks: { note: "push needs push scope asked for up front" },
  },
  {
    match: /\.azurecr\.io$/,
    quirks: { note: "refresh-token exchange for tokens" },
  },
  { match: "quay.io", quirks: { note: "mount needs from" } },
];

/**
 * The quirks of the registry with this index name (`host[:port]`), or none.
 *
 * @param indexName The index name as parsed, e.g. `docker.io`, `ghcr.io`.
 * @returns The quirks; an empty object for a registry without any.
 *
 * @example
 * ```ts
 * import { quirksFor } from "jsr:@scope/docker-registry-client";
 *
 * console.log(quirksFor("docker.io").apiHost); // registry-1.docker.io
 * ```
 */
export function quirksFor(indexName: string): RegistryQuirks {
  const host = indexName.toLowerCase();
  for (const { match, quirks } of TABLE) {
    if (typeof match === "string" ? match === host : match.test(host)) {
      return quirks;
    }
  }
  return {};
}

/**
 * The chunk size to upload with: the one asked for, capped by the
 * registry's largest accepted chunk (GHCR takes at most 4 MiB).
 *
 * @param indexName The index name, e.g. `ghcr.io`.
 * @param requested The chunk size asked for, if any (none: monolithic).
 * @returns The chunk size to use, or `undefined` for a monolithic upload.
 *
 * @example
 * ```ts
 * import { chunkSizeFor } from "jsr:@scope/docker-registry-client";
 *
 * console.log(chunkSizeFor("ghcr.io", 16 * 1024 * 1024)); // 4194304
 * ```
 */
export function chunkSizeFor(
  indexName: string,
  requested: number | undefined,
): number | undefined {
  const max = quirksFor(indexName).maxChunkSize;
  return requested === undefined || max === undefined
    ? requested
    : Math.min(requested, max);
}
