/**
 * What particular registries do differently, in one table, so the client has
 * no `if (host === ...)` scattered through it: Docker Hub's host names, API
 * host and credential key, page and chunk limits, and the known quirks.
 *
 * The reference parser (`parseIndex`, `parseRepo`), the credential lookup
 * (`/credentials`) and uploads read their per-registry facts from here.
 * This module imports nothing, so it costs nothing to import.
 *
 * @example Look a registry up
 * ```ts
 * import { isDockerHubHost, quirksFor } from "jsr:@scope/docker-registry-client";
 *
 * console.log(isDockerHubHost("index.docker.io")); // true
 * console.log(quirksFor("docker.io").apiHost); // registry-1.docker.io
 * ```
 *
 * @module
 */

/**
 * How one registry departs from the spec or from the defaults.
 *
 * @example
 * ```ts
 * import { quirksFor, type RegistryQuirks } from "jsr:@scope/docker-registry-client";
 *
 * const ghcr: RegistryQuirks = quirksFor("ghcr.io");
 * console.log(ghcr.maxChunkSize); // 4194304
 * ```
 */
export interface RegistryQuirks {
  /** The host the V2 API is served from, when it differs from the index name. */
  apiHost?: string;
  /**
   * The key docker's `config.json` files the registry's credentials under
   * (and the server URL sent to credential helpers), when it is not the
   * registry's `host[:port]`.
   */
  credentialKey?: string;
  /** The largest page size (`n`) the registry accepts on listings. */
  maxPageSize?: number;
  /** The largest upload chunk the registry accepts, in bytes. */
  maxChunkSize?: number;
  /** The known quirks, for people reading the table. */
  note?: string;
}

/**
 * One row of {@linkcode REGISTRIES}: a registry, how to recognise its index
 * name, and its quirks.
 *
 * @example
 * ```ts
 * import { REGISTRIES, type RegistryEntry } from "jsr:@scope/docker-registry-client";
 *
 * const hub: RegistryEntry = REGISTRIES[0];
 * console.log(hub.name, hub.hosts); // Docker Hub [ "docker.io", "index.docker.io", "registry-1.docker.io" ]
 * ```
 */
export interface RegistryEntry {
  /** What people call the registry. */
  readonly name: string;
  /** Index names (`host[:port]`, lower case) that are this registry. */
  readonly hosts?: readonly string[];
  /** A pattern the lower-case index name of this registry matches. */
  readonly hostPattern?: RegExp;
  /** How it departs from the spec or the defaults. */
  readonly quirks: Readonly<RegistryQuirks>;
}

/**
 * The facts about Docker Hub that parsing and credential lookup need.
 *
 * - `name`: the index name every alias is normalised to (`docker.io`).
 * - `hosts`: the index names that mean Docker Hub. As in docker itself,
 *   `registry.hub.docker.com` (the old web address) is not one of them.
 * - `apiHost`: where the V2 API is served.
 * - `credentialKey`: the key `docker login` files Docker Hub's credentials
 *   under, and the server URL it sends credential helpers.
 * - `officialNamespace`: the namespace of one-component names (`library/`).
 *
 * @example
 * ```ts
 * import { DOCKER_HUB } from "jsr:@scope/docker-registry-client";
 *
 * console.log(DOCKER_HUB.credentialKey); // https://index.docker.io/v1/
 * ```
 */
export const DOCKER_HUB: {
  readonly name: "docker.io";
  readonly hosts: readonly [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
  ];
  readonly apiHost: "registry-1.docker.io";
  readonly credentialKey: "https://index.docker.io/v1/";
  readonly officialNamespace: "library/";
} = Object.freeze({
  name: "docker.io",
  hosts: Object.freeze(
    ["docker.io", "index.docker.io", "registry-1.docker.io"] as const,
  ),
  apiHost: "registry-1.docker.io",
  credentialKey: "https://index.docker.io/v1/",
  officialNamespace: "library/",
});

/**
 * Every registry with facts of its own, Docker Hub first. Looked up by
 * {@linkcode registryFor} and {@linkcode quirksFor}; a registry not listed
 * follows the spec and the defaults.
 *
 * @example List the registries with a chunk limit
 * ```ts
 * import { REGISTRIES } from "jsr:@scope/docker-registry-client";
 *
 * console.log(REGISTRIES.filter((r) => r.quirks.maxChunkSize).map((r) => r.name)); // [ "GitHub Container Registry" ]
 * ```
 */
export const REGISTRIES: readonly RegistryEntry[] = frozen([
  {
    name: "Docker Hub",
    hosts: DOCKER_HUB.hosts,
    quirks: {
      apiHost: DOCKER_HUB.apiHost,
      credentialKey: DOCKER_HUB.credentialKey,
      note: "one-component names get library/; " +
        "RateLimit-Limit/RateLimit-Remaining (100;w=21600) on manifest GETs, HEAD is not counted; " +
        "a cross-repository mount with from fails (an upload session is opened instead)",
    },
  },
  {
    name: "Amazon ECR",
    hostPattern: /\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/,
    quirks: {
      maxPageSize: 1000,
      note: "page size n over 1000 rejected; answers 201 to a chunk PATCH; " +
        "answers an OCI index unless a manifest list is accepted; credentials through a helper",
    },
  },
  {
    name: "GitHub Container Registry",
    hosts: ["ghcr.io"],
    quirks: {
      maxChunkSize: 4 * 1024 * 1024,
      note:
        "anonymous pulls still need a token; blob redirects to storage that rejects HEAD, " +
        "with short-lived URLs; chunks limited to 4 MiB",
    },
  },
  {
    name: "Google Container Registry / Artifact Registry",
    hostPattern: /(^|\.)gcr\.io$|-docker\.pkg\.dev$/,
    quirks: {
      note:
        "the challenge's scope is not enough to push: push scope asked for up front",
    },
  },
  {
    name: "Azure Container Registry",
    hostPattern: /\.azurecr\.io$/,
    quirks: {
      note:
        "refresh-token exchange for tokens; token requests with many scopes can exceed header limits",
    },
  },
  {
    name: "Quay",
    hosts: ["quay.io"],
    quirks: { note: "a cross-repository mount needs from" },
  },
]);

/** The rows, frozen so that nobody changes the table at run time. */
function frozen(rows: RegistryEntry[]): readonly RegistryEntry[] {
  return Object.freeze(
    rows.map((row) =>
      Object.freeze({ ...row, quirks: Object.freeze({ ...row.quirks }) })
    ),
  );
}

const NO_QUIRKS: Readonly<RegistryQuirks> = Object.freeze({});

/**
 * Whether an index name (`host[:port]`, any case) is Docker Hub:
 * `docker.io`, `index.docker.io` or `registry-1.docker.io`.
 *
 * @param host The index name, without scheme or path.
 * @returns `true` for a Docker Hub host.
 *
 * @example
 * ```ts
 * import { isDockerHubHost } from "jsr:@scope/docker-registry-client";
 *
 * console.log(isDockerHubHost("Registry-1.Docker.IO")); // true
 * console.log(isDockerHubHost("quay.io")); // false
 * ```
 */
export function isDockerHubHost(host: string): boolean {
  const lower = host.toLowerCase();
  return (DOCKER_HUB.hosts as readonly string[]).includes(lower);
}

/**
 * The row of {@linkcode REGISTRIES} for an index name, if the registry has
 * one.
 *
 * @param indexName The index name (`host[:port]`, any case), e.g. `ghcr.io`.
 * @returns The entry, or `undefined` for a registry without facts of its own.
 *
 * @example
 * ```ts
 * import { registryFor } from "jsr:@scope/docker-registry-client";
 *
 * console.log(registryFor("123456789012.dkr.ecr.eu-west-1.amazonaws.com")?.name); // Amazon ECR
 * console.log(registryFor("localhost:5000")); // undefined
 * ```
 */
export function registryFor(indexName: string): RegistryEntry | undefined {
  const host = indexName.toLowerCase();
  return REGISTRIES.find((entry) =>
    entry.hosts?.includes(host) || entry.hostPattern?.test(host)
  );
}

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
  return registryFor(indexName)?.quirks ?? NO_QUIRKS;
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
