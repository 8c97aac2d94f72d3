/**
 * The names of the earlier clients — the Node `docker-registry-client` and
 * its Deno port (`@cloudydeno/docker-registry-client`) — that differ from
 * this package's own: their constants, their type names, their error class
 * names, and the object-form calls of the Deno port's `RegistryClientV2`
 * (`getManifest({ ref })`, `headBlob({ digest })` …), which the client
 * accepts beside its own positional forms. Code written for the port keeps
 * working with its imports changed; the README's "Migrating from the earlier
 * clients" maps each call.
 *
 * @example Code written for the Deno port
 * ```ts
 * import {
 *   MEDIATYPE_MANIFEST_V2,
 *   RegistryClientV2,
 * } from "jsr:@scope/docker-registry-client";
 *
 * const client = new RegistryClientV2({ name: "http://127.0.0.1:5000/foo" });
 * const { resp, manifest } = await client.getManifest({ ref: "latest" });
 * console.log(resp.headers.get("docker-content-digest"), manifest.schemaVersion);
 * console.log(MEDIATYPE_MANIFEST_V2); // application/vnd.docker.distribution.manifest.v2+json
 * ```
 *
 * @module
 */

import { HttpError, RegistryError } from "../errors.ts";
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Manifest,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import type { RepoInfo, RepoRef } from "../ref/reference.ts";
import { DOCKER_HUB } from "../registries.ts";
import { DEFAULT_USER_AGENT } from "../transport/user_agent.ts";
import type { CallOptions } from "./_repo_http.ts";
import type {
  BlobHead,
  BlobReadOptions,
  BlobReadStream,
  BlobUploadOptions,
  ClientOptions,
  GetManifestOptions,
  ManifestResult,
  PutManifestResult,
} from "./options.ts";

// ------------------------------------------------------------- constants

/**
 * The Docker image manifest media type (schema 2), as the earlier clients
 * named it; {@linkcode MEDIA_TYPE}`.DOCKER_MANIFEST`.
 *
 * @example
 * ```ts
 * import { MEDIATYPE_MANIFEST_V2 } from "jsr:@scope/docker-registry-client";
 * console.log(MEDIATYPE_MANIFEST_V2); // application/vnd.docker.distribution.manifest.v2+json
 * ```
 */
export const MEDIATYPE_MANIFEST_V2: typeof MEDIA_TYPE.DOCKER_MANIFEST =
  MEDIA_TYPE.DOCKER_MANIFEST;

/**
 * The Docker manifest list media type, as the earlier clients named it;
 * {@linkcode MEDIA_TYPE}`.DOCKER_MANIFEST_LIST`.
 *
 * @example
 * ```ts
 * import { MEDIATYPE_MANIFEST_LIST_V2 } from "jsr:@scope/docker-registry-client";
 * console.log(MEDIATYPE_MANIFEST_LIST_V2); // application/vnd.docker.distribution.manifest.list.v2+json
 * ```
 */
export const MEDIATYPE_MANIFEST_LIST_V2:
  typeof MEDIA_TYPE.DOCKER_MANIFEST_LIST = MEDIA_TYPE.DOCKER_MANIFEST_LIST;

/**
 * The OCI image manifest media type, as the Deno port named it;
 * {@linkcode MEDIA_TYPE}`.OCI_MANIFEST`.
 *
 * @example
 * ```ts
 * import { MEDIATYPE_OCI_MANIFEST_V1 } from "jsr:@scope/docker-registry-client";
 * console.log(MEDIATYPE_OCI_MANIFEST_V1); // application/vnd.oci.image.manifest.v1+json
 * ```
 */
export const MEDIATYPE_OCI_MANIFEST_V1: typeof MEDIA_TYPE.OCI_MANIFEST =
  MEDIA_TYPE.OCI_MANIFEST;

/**
 * The OCI image index media type, as the Deno port named it;
 * {@linkcode MEDIA_TYPE}`.OCI_INDEX`.
 *
 * @example
 * ```ts
 * import { MEDIATYPE_OCI_MANIFEST_INDEX_V1 } from "jsr:@scope/docker-registry-client";
 * console.log(MEDIATYPE_OCI_MANIFEST_INDEX_V1); // application/vnd.oci.image.index.v1+json
 * ```
 */
export const MEDIATYPE_OCI_MANIFEST_INDEX_V1: typeof MEDIA_TYPE.OCI_INDEX =
  MEDIA_TYPE.OCI_INDEX;

/**
 * The `User-Agent` the client sends unless told otherwise, as the earlier
 * clients named it; `DEFAULT_USER_AGENT`.
 *
 * @example
 * ```ts
 * import { DEFAULT_USERAGENT } from "jsr:@scope/docker-registry-client";
 * console.log(DEFAULT_USERAGENT);
 * ```
 */
export const DEFAULT_USERAGENT: string = DEFAULT_USER_AGENT;

/**
 * The URL of Docker Hub's registry API, as the earlier clients named it.
 *
 * @example
 * ```ts
 * import { DEFAULT_INDEX_URL } from "jsr:@scope/docker-registry-client";
 * console.log(DEFAULT_INDEX_URL); // https://registry-1.docker.io
 * ```
 */
export const DEFAULT_INDEX_URL: `https://${typeof DOCKER_HUB.apiHost}` =
  `https://${DOCKER_HUB.apiHost}`;

/**
 * The server address `docker login` uses for Docker Hub (and the key of its
 * credentials in docker's config); {@linkcode parseIndex} maps it to the
 * default index.
 *
 * @example
 * ```ts
 * import { DEFAULT_LOGIN_SERVERNAME, parseIndex } from "jsr:@scope/docker-registry-client";
 * console.log(parseIndex(DEFAULT_LOGIN_SERVERNAME)); // { name: "docker.io", official: true }
 * ```
 */
export const DEFAULT_LOGIN_SERVERNAME: typeof DOCKER_HUB.credentialKey =
  DOCKER_HUB.credentialKey;

// ------------------------------------------------------------ error names

/**
 * The Deno port's base error class name: {@linkcode RegistryError}, the base
 * of every registry failure.
 *
 * @example
 * ```ts
 * import { createClient, RegistryApiError } from "jsr:@scope/docker-registry-client";
 * try {
 *   await createClient({ repo: "http://127.0.0.1:5000/foo" }).listTags();
 * } catch (err) {
 *   if (err instanceof RegistryApiError) console.log(err.message);
 * }
 * ```
 */
export const RegistryApiError: typeof RegistryError = RegistryError;
/** The type of {@linkcode RegistryApiError}: {@linkcode RegistryError}. */
export type RegistryApiError = RegistryError;

/**
 * The Deno port's HTTP error class name: {@linkcode HttpError}, which
 * carries `status`, the OCI `errors[]` and the redacted URL (no `resp`).
 *
 * @example
 * ```ts
 * import { createClient, RegistryHttpError } from "jsr:@scope/docker-registry-client";
 * try {
 *   await createClient({ repo: "http://127.0.0.1:5000/foo" }).getManifest("nope");
 * } catch (err) {
 *   if (err instanceof RegistryHttpError) console.log(err.status); // 404
 * }
 * ```
 */
export const RegistryHttpError: typeof HttpError = HttpError;
/** The type of {@linkcode RegistryHttpError}: {@linkcode HttpError}. */
export type RegistryHttpError = HttpError;

// ------------------------------------------------------------- type names

/** The Deno port's name of {@linkcode RepoInfo}, a parsed repository. */
export type RegistryRepo = RepoInfo;
/** The Deno port's name of {@linkcode RepoRef}, a parsed reference. */
export type RegistryImage = RepoRef;
/** The Deno port's name of {@linkcode ClientOptions}. */
export type RegistryClientOpts = ClientOptions;
/** The Deno port's name of a Docker schema 2 manifest: {@linkcode ImageManifest}. */
export type ManifestV2 = ImageManifest;
/** The Deno port's name of a Docker manifest list: {@linkcode ImageIndex}. */
export type ManifestV2List = ImageIndex;
/** The Deno port's name of an OCI image manifest: {@linkcode ImageManifest}. */
export type ManifestOCI = ImageManifest;
/** The Deno port's name of an OCI image index: {@linkcode ImageIndex}. */
export type ManifestOCIIndex = ImageIndex;
/** The Deno port's name of a descriptor in a Docker manifest: {@linkcode Descriptor}. */
export type ManifestV2Descriptor = Descriptor;
/** The Deno port's name of a descriptor in an OCI manifest: {@linkcode Descriptor}. */
export type ManifestOCIDescriptor = Descriptor;

// --------------------------------------------- the port's object-form calls

/**
 * Options of {@linkcode RegistryClientV2.ping}. `headers` and
 * `expectStatus` (the Deno port's) are accepted and ignored: the ping is
 * shared by the client, which takes 200 or 401 and throws an `HttpError`
 * on anything else.
 */
export interface PingOptions extends CallOptions {
  /** The Deno port's extra request headers: ignored. */
  headers?: HeadersInit;
  /** The Deno port's accepted statuses: ignored. */
  expectStatus?: number[];
}

/** Options of {@linkcode RegistryClientV2.login}. */
export interface LoginOptions extends CallOptions {
  /**
   * Scopes to get a token for. @default {["repository:<name>:pull"]}
   */
  scopes?: string[];
  /** The Deno port's single scope string; joins `scopes`. */
  scope?: string;
  /** The Deno port's earlier ping response: ignored (the ping is shared). */
  pingRes?: unknown;
}

/**
 * `getManifest({ ref, … })`: the Deno port's (and the Node client's) form.
 * The `accept*` flags default as in the port — to the client's options when
 * given there, else off — so the registry answers as it did for the port (a
 * multi-platform tag gives its `linux/amd64` manifest rather than the list).
 */
export interface LegacyGetManifestOptions extends GetManifestOptions {
  /** A tag or digest. */
  ref: string;
  /** Accept Docker manifest lists (and, with OCI, OCI indexes). */
  acceptManifestLists?: boolean;
  /** Accept OCI manifests. */
  acceptOCIManifests?: boolean;
  /** The Node client's option: `1` also accepts schema 1 manifests. */
  maxSchemaVersion?: number;
  /** Ignored: redirects are always followed (credentials stay behind). */
  followRedirects?: boolean;
}

/** What `getManifest({ ref })` returns: the result plus the port's `resp`. */
export interface LegacyManifestResult extends ManifestResult {
  /** The response: its status and headers, its body the manifest's bytes. */
  resp: Response;
}

/** `headBlob({ digest })` and `createBlobReadStream({ digest })`: the port's form. */
export interface LegacyBlobOptions extends BlobReadOptions {
  /** The blob's digest. */
  digest: string;
}

/**
 * What `headBlob({ digest })` returns: as in the port, the responses (status
 * and headers; redirects are followed below the client, so there is one),
 * with the client's own `digest`, `size` and `mediaType` on the array.
 */
export type LegacyBlobHead = Response[] & BlobHead;

/** What `createBlobReadStream({ digest })` returns: the result plus the port's `ress`. */
export interface LegacyBlobReadStream extends BlobReadStream {
  /** The responses (status and headers; their bodies are in `stream`). */
  ress: Response[];
}

/** `deleteManifest({ ref })`: the port's form. */
export interface LegacyRefOptions extends CallOptions {
  /** A tag or digest. */
  ref: string;
}

/**
 * `putManifest({ ref, manifestData, mediaType })`: the Deno port's form (and
 * the Node client's `manifest` string).
 */
export interface LegacyPutManifestOptions extends CallOptions {
  /** A tag or digest. */
  ref: string;
  /** The manifest's exact bytes (the Deno port). */
  manifestData?: Uint8Array;
  /** The manifest as JSON text or parsed (the Node client). */
  manifest?: string | Manifest;
  /** The `Content-Type`, for a manifest without a `mediaType` of its own. */
  mediaType?: string;
  /** With no `mediaType` anywhere: `2` sends the Docker schema 2 type. */
  schemaVersion?: number;
  /** The largest manifest sent. @default {ClientOptions.maxManifestBytes} */
  maxBytes?: number;
}

/** What `putManifest({ … })` returns: the result plus the port's `location`. */
export interface LegacyPutManifestResult extends PutManifestResult {
  /** The `Location` the registry answered, if any. */
  location: string | null;
}

/**
 * `blobUpload({ digest, stream, contentLength })`: the Deno port's form. A
 * Node `Readable` (any async iterable of bytes) is taken as the stream.
 */
export interface LegacyBlobUploadOptions extends BlobUploadOptions {
  /** The blob's digest. */
  digest: string;
  /** The content. */
  stream:
    | ReadableStream<Uint8Array>
    | Uint8Array
    | AsyncIterable<Uint8Array>;
  /** The size in bytes (checked). */
  contentLength?: number;
  /** Ignored: blobs are sent as `application/octet-stream`. */
  contentType?: string;
}
