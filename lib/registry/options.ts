/**
 * The public option and result types of {@linkcode RegistryClientV2}: what
 * `createClient` takes, and what each method takes and returns. The client
 * (`client.ts`) re-exports them; the resource files (`tags.ts`,
 * `manifests.ts`, `blobs.ts`, `uploads/` …) implement the methods.
 *
 * @module
 */

import type {
  CredentialProvider,
  Credentials,
} from "../credentials/provider.ts";
import { MANIFEST_SIZE_CAP } from "../ref/_manifest_checks.ts";
import type { Manifest } from "../ref/media_types.ts";
import type { PlatformSpec } from "../ref/platform.ts";
import type { RepoInfo } from "../ref/reference.ts";
import type { RegistryAuth } from "../transport/auth.ts";
import type { RetryOptions } from "../transport/retry.ts";
import type { Transport } from "../transport/transport.ts";
import type { LogSink } from "../transport/log.ts";
import type { CallOptions } from "./_repo_http.ts";

export type { CallOptions };

/** Manifests are read and pushed up to this many bytes unless told otherwise (4 MiB). */
export const DEFAULT_MAX_MANIFEST_BYTES: number = MANIFEST_SIZE_CAP;

/** Options of {@linkcode createClient}. */
export interface ClientOptions {
  /**
   * The repository: `busybox`, `quay.io/foo/bar:1`, `http://127.0.0.1:5000/foo`,
   * or a parsed reference. Required, unless given as `name`.
   */
  repo?: string | RepoInfo;
  /**
   * A synonym of `repo`, as the earlier clients called it
   * (`new RegistryClientV2({ name: "alpine" })`); `repo` wins when both are given.
   */
  name?: string | RepoInfo;
  /** A username for Basic auth or for the token server. */
  username?: string;
  /** The password (or access token used as a password). */
  password?: string;
  /** A bearer token used as given; never replaced by a token request. */
  token?: string;
  /**
   * Where to find credentials when `username`/`password`/`token` are not
   * given: a provider (see the `/credentials` subpath) or credentials.
   */
  credentials?: CredentialProvider | Credentials;
  /**
   * `https` or `http`. When neither this nor the reference names one, https
   * is used, except for loopback hosts (`localhost`, 127.0.0.0/8, `[::1]`),
   * which use http as docker does.
   */
  scheme?: "http" | "https";
  /**
   * Allow sending credentials over plain http to a host that is not loopback.
   * (Deno cannot turn TLS verification off per client: trust a private CA
   * with `caCerts`, or run Deno with `--unsafely-ignore-certificate-errors`.)
   * @default {false}
   */
  insecure?: boolean;
  /**
   * Extra root certificates (PEM) to trust: in Deno through
   * `Deno.createHttpClient`, in Bun through fetch's `tls` option. Node's
   * fetch cannot take them per client: there `createClient` throws a
   * `TypeError` (pass a `fetch` instead, or start node with
   * `NODE_EXTRA_CA_CERTS`).
   */
  caCerts?: string[];
  /** The `User-Agent` header. */
  userAgent?: string;
  /**
   * Accept Docker manifest lists when getting manifests.
   * @default {true}
   */
  acceptManifestLists?: boolean;
  /**
   * Accept OCI manifests and indexes when getting manifests.
   * @default {true}
   */
  acceptOCIManifests?: boolean;
  /**
   * Accept (deprecated) Docker schema 1 manifests.
   * @default {false}
   */
  acceptSchema1?: boolean;
  /** Extra token scopes to ask for, e.g. `repository:other:pull`. */
  scopes?: string[];
  /** The fetch to use (injectable for tests). @default {globalThis.fetch} */
  fetch?: Transport;
  /**
   * Called with one line per request sent and one per response (status and
   * time in ms) or failure, for `-v` output; URLs are redacted and no header
   * or body is printed, so no secret can appear (see `withLog`), e.g.
   * `log: (line) => console.error(line)`. Not used when `auth` is shared:
   * the requests then go out (and are logged) as the client that created it
   * was configured.
   */
  log?: LogSink;
  /**
   * The earlier Deno client's `Deno.HttpClient` option: requests are sent
   * with `fetch(request, { client })`. Prefer `caCerts`, or `fetch`, which
   * wins over it.
   */
  client?: object;
  /** Cancels every request of this client. */
  signal?: AbortSignal;
  /**
   * The largest manifest read or written, in bytes.
   * @default {4194304}
   */
  maxManifestBytes?: number;
  /** Retry attempts and delays (see `DEFAULT_RETRY`). */
  retry?: RetryOptions;
  /** How many redirects one request may follow. @default {10} */
  maxRedirects?: number;
  /**
   * The longest one HTTP request (each attempt) waits on the network: for
   * its response headers, then for each read of its body (so a long but
   * steady download is never cut). A request that times out fails like a
   * dropped connection: retried when safe, resumed for blobs, else a
   * `ConnectionError`. `0` turns it off. For a deadline on a whole call, pass
   * `signal: AbortSignal.timeout(ms)`.
   * @default {120000}
   */
  requestTimeoutMs?: number;
  /**
   * The longest one request that is not a blob transfer may take, headers
   * and body (a ping, a token, a manifest, a listing page, an error answer);
   * fails like `requestTimeoutMs`. `0` turns it off. See `withTimeout`.
   * @default {60000}
   */
  requestDeadlineMs?: number;
  /**
   * The slowest a body may flow, in bytes per second, averaged over
   * `minSpeedWindowMs` of waiting on the registry (as curl's
   * `--speed-limit`); slower fails like `requestTimeoutMs`. `0` turns it off.
   * @default {1024}
   */
  minSpeed?: number;
  /** The window `minSpeed` is averaged over (curl's `--speed-time`). @default {30000} */
  minSpeedWindowMs?: number;
  /**
   * Get tokens with an OAuth2 `POST` (`grant_type=password`) rather than a
   * `GET` with Basic credentials.
   * @default {false}
   */
  oauth2?: boolean;
  /**
   * How many times a blob download resumes after a dropped connection.
   * @default {3}
   */
  maxResumes?: number;
  /**
   * The most pages a listing follows.
   * @default {10000}
   */
  maxPages?: number;
  /**
   * The most bytes a listing (tags, catalog, referrers) reads, all pages
   * together: a `LimitExceededError` past it. 64 MiB by default.
   * @default {67108864}
   */
  maxListingBytes?: number;
  /**
   * Share the auth state of another client of the same registry (its
   * `auth`): the ping answer, the tokens, the credentials — and the
   * transport that state sends every request through. The request then
   * goes out as the client that created the `RegistryAuth` was configured:
   * its `fetch`, `caCerts`, `userAgent`, `retry`, `maxRedirects`,
   * `requestTimeoutMs` and the other bounds, and its `username`/
   * `password`/`token`/`credentials`/`useDefaultCredentials`/`scopes`/`insecure`/`oauth2`.
   * Those options of this client are ignored; the others (`signal`,
   * `maxManifestBytes`, `maxResumes`, `maxPages`, the `accept*` flags…)
   * still apply.
   *
   * @throws {TypeError} From the constructor when it authenticates to
   *   another registry origin than this client's.
   */
  auth?: RegistryAuth;
  /**
   * When no credentials are given, look them up where docker and podman keep
   * them (config files, credential helpers — the `/credentials` subpath's
   * default chain). Only done when Deno already grants env and read
   * permission, so it never prompts; nothing found means anonymous.
   * @default {true}
   */
  useDefaultCredentials?: boolean;
}

/** Options of listings (`listTags`, `listCatalog`). */
export interface ListOptions extends CallOptions {
  /** The page size (`n`) to ask for; by default the registry's own. */
  pageSize?: number;
  /** The most pages to follow. @default {ClientOptions.maxPages} */
  maxPages?: number;
}

/** The seed-compatible result of {@linkcode RegistryClientV2.listTags}. */
export interface TagList {
  /** The repository name, as the registry gives it. */
  name: string;
  /** Every tag, across all pages. */
  tags: string[];
}

/** The result of {@linkcode RegistryClientV2.listCatalog}. */
export interface Catalog {
  /** Every repository, across all pages. */
  repositories: string[];
}

/** Options of {@linkcode RegistryClientV2.getManifest}. */
export interface GetManifestOptions extends CallOptions {
  /** From an index or manifest list, follow the entry for this platform. */
  platform?: PlatformSpec;
  /** The largest manifest read. @default {ClientOptions.maxManifestBytes} */
  maxBytes?: number;
}

/** A manifest as read from the registry. */
export interface ManifestResult {
  /** The parsed manifest. */
  manifest: Manifest;
  /** Its media type (from the body, else `Content-Type`). */
  mediaType: string;
  /** Its digest, verified. */
  digest: string;
  /** The exact bytes. */
  bytes: Uint8Array;
  /** The size in bytes. */
  size: number;
}

/** What {@linkcode RegistryClientV2.headManifest} returns. */
export interface ManifestHead {
  /** The manifest's digest. */
  digest: string;
  /** Its media type. */
  mediaType: string;
  /** Its size in bytes. */
  size: number;
}

/** What {@linkcode RegistryClientV2.headBlob} returns. */
export interface BlobHead {
  /** The blob's digest. */
  digest: string;
  /** Its size in bytes. */
  size: number;
  /** Its media type, when the registry says. */
  mediaType?: string;
}

/** Options of {@linkcode RegistryClientV2.createBlobReadStream}. */
export interface BlobReadOptions extends CallOptions {
  /** The expected size, from a descriptor; checked while streaming. */
  size?: number;
  /** How many times to resume after a dropped connection. */
  maxResumes?: number;
}

/** A blob being read: a verified stream plus the response metadata. */
export interface BlobReadStream {
  /** The bytes; the stream errors on a digest or size mismatch. */
  stream: ReadableStream<Uint8Array>;
  /** The digest asked for (and checked). */
  digest: string;
  /** The size, from the descriptor or `Content-Length`, if known. */
  size?: number;
  /** `Content-Type` of the response, if any. */
  contentType?: string;
  /** The final response's headers. */
  headers: Headers;
  /** The final URL (after redirects), with secrets removed. */
  url: string;
}

/** Options of {@linkcode RegistryClientV2.getReferrers}. */
export interface ReferrersOptions extends CallOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string;
}

/** What {@linkcode RegistryClientV2.ping} learned. */
export interface PingInfo {
  /** 200 (open) or 401 (authentication needed). */
  status: number;
  /** Whether the registry speaks the V2 API. */
  supportsV2: boolean;
  /** The auth schemes the registry offers, lower-cased (`bearer`, `basic`). */
  authSchemes: string[];
  /** The headers of the answer to `GET /v2/` (what the earlier clients' `res.headers` gave). */
  headers: Headers;
}

// ---------------------------------------------------------------- uploads

/**
 * What {@linkcode RegistryClientV2.blobUpload} accepts: a stream, bytes, a
 * `Blob` (or `File`), a file given by path or `file:` URL (streamed from
 * disk, never read whole into memory), or a function that opens a stream —
 * called again when part of the upload must be sent again (a dropped
 * connection, a token refused mid-upload), which a plain stream cannot be.
 * A string is always a file path, never the content itself.
 *
 * @example
 * ```ts
 * import type { BlobSource } from "jsr:@scope/docker-registry-client";
 *
 * const sources: BlobSource[] = [
 *   new TextEncoder().encode("{}"),
 *   "/tmp/layer.tar.gz",
 *   new URL("file:///tmp/layer.tar.gz"),
 *   new Blob(["hello"]),
 * ];
 * ```
 */
export type BlobSource =
  | ReadableStream<Uint8Array>
  | (() => Promise<ReadableStream<Uint8Array>>)
  | Uint8Array
  | Blob
  | string
  | URL;

/**
 * Options of {@linkcode RegistryClientV2.blobUpload}.
 *
 * @example Chunked upload of a file with a progress report
 * ```ts
 * import { createClient } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
 * await client.blobUpload("/tmp/layer.tar.gz", {
 *   chunkSize: 8 * 1024 * 1024,
 *   onProgress: (sent) => console.log(sent),
 * });
 * ```
 */
export interface BlobUploadOptions extends CallOptions {
  /**
   * The blob's digest, when known. Without it the digest is computed: files,
   * `Blob`s, bytes and functions are hashed before the upload (so that an
   * existing blob is skipped), streams while they upload.
   */
  digest?: string;
  /** The blob's size in bytes, when known; checked against the content. */
  size?: number;
  /**
   * The source stream (or each stream a function opens) checks itself
   * against `digest` and errors on a mismatch (as `createBlobReadStream` and
   * `OciLayout.readBlob` do): the upload does not hash it a second time.
   * Needs `digest` (ignored without it); the size is still checked, and the
   * registry still checks the `?digest=` of the closing `PUT`.
   * @default {false}
   */
  verified?: boolean;
  /**
   * Upload in chunks of this many bytes (`PATCH` with `Content-Range`),
   * capped at the largest chunk the registry takes (GHCR: 4 MiB), then
   * raised to the registry's `OCI-Chunk-Min-Length` when that is larger:
   * what the registry demands of the upload wins over the cap, but chunks
   * are never raised beyond it. Without it the blob goes in one streaming
   * `PUT`.
   */
  chunkSize?: number;
  /**
   * Upload even when the registry already has the blob (no `HEAD` first).
   * @default {false}
   */
  force?: boolean;
  /** Called with the number of bytes sent so far, as the upload progresses. */
  onProgress?: (bytesSent: number) => void;
  /**
   * Try a cross-repository mount from this repository (same registry) first;
   * when the registry opens an ordinary upload instead, the content is
   * uploaded into it.
   */
  mountFrom?: string;
}

/**
 * What {@linkcode RegistryClientV2.blobUpload} did.
 *
 * @example
 * ```ts
 * import type { BlobUploadResult } from "jsr:@scope/docker-registry-client";
 *
 * const result: BlobUploadResult = { digest: "sha256:" + "0".repeat(64), size: 0, skipped: true };
 * ```
 */
export interface BlobUploadResult {
  /** The blob's digest. */
  digest: string;
  /**
   * Its size in bytes: the content's own, or `size` when given. When neither
   * is known (a stream) and nothing was sent (skipped or mounted), the
   * registry's `Content-Length`; when the registry sends none, the stream is
   * read through to count it.
   */
  size: number;
  /** `true` when the registry already had the blob and nothing was sent. */
  skipped?: boolean;
  /** `true` when the blob was mounted from `mountFrom`. */
  mounted?: boolean;
}

/**
 * What {@linkcode RegistryClientV2.mountBlob} did.
 *
 * @example
 * ```ts
 * import type { MountResult } from "jsr:@scope/docker-registry-client";
 *
 * const result: MountResult = { digest: "sha256:" + "0".repeat(64), mounted: true };
 * ```
 */
export interface MountResult {
  /** The blob's digest. */
  digest: string;
  /**
   * `true`: the registry mounted the blob (201). `false`: it opened an
   * ordinary upload instead (202), and the blob was copied through it.
   */
  mounted: boolean;
}

// ------------------------------------------------------- manifest pushes

/**
 * Options of {@linkcode RegistryClientV2.putManifest}.
 *
 * @example
 * ```ts
 * import { createClient, MEDIA_TYPE } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
 * const bytes = await Deno.readFile("manifest.json"); // no mediaType field
 * await client.putManifest("v1", bytes, { mediaType: MEDIA_TYPE.DOCKER_MANIFEST });
 * ```
 */
export interface PutManifestOptions extends CallOptions {
  /**
   * The `Content-Type` to send when the manifest has no `mediaType` of its
   * own (it must agree when it has one). Without either, an OCI index or
   * manifest is assumed from the manifest's shape.
   */
  mediaType?: string;
  /** The largest manifest sent. @default {ClientOptions.maxManifestBytes} */
  maxBytes?: number;
}

/**
 * What {@linkcode RegistryClientV2.putManifest} returns.
 *
 * @example
 * ```ts
 * import { createClient } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
 * const { digest, size, mediaType } = await client.putManifest("v1", {
 *   schemaVersion: 2,
 *   mediaType: "application/vnd.oci.image.index.v1+json",
 *   manifests: [],
 * });
 * console.log(digest, size, mediaType);
 * ```
 */
export interface PutManifestResult {
  /** The manifest's digest, as computed locally and confirmed by the registry. */
  digest: string;
  /** Its size in bytes. */
  size: number;
  /** The `Content-Type` it was pushed with. */
  mediaType: string;
  /**
   * The subject digest the registry answered in `OCI-Subject` (it maintains
   * the referrers itself); absent when it did not, in which case the client
   * updated the `<alg>-<hex>` fallback tag.
   */
  subject?: string;
}

// ------------------------------------------------------------- rate limit

/** Docker Hub's rate-limit budget, from `RateLimit-Limit`/`RateLimit-Remaining`. */
export interface RateLimit {
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in the window. */
  remaining?: number;
  /** The window, in seconds (`w=`), if given. */
  windowSeconds?: number;
}
