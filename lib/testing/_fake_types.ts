/**
 * The public types of the fake registry: its options, its faults, what it
 * records and stores, and the running registry's interface. A leaf: the
 * route handlers and the server import these types from here, and
 * `fake_registry.ts` re-exports them, so nothing imports back.
 *
 * @module
 */

/**
 * Options of `startFakeRegistry()`.
 *
 * @example A registry behind bearer tokens
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry({ auth: "bearer", tokenLifetimeSeconds: 60 });
 * ```
 */
export interface FakeRegistryOptions {
  /**
   * The port to listen on (on `127.0.0.1`); `0` picks a free one. The
   * second origin always takes a free port.
   *
   * @default {0}
   */
  port?: number;
  /**
   * How clients authenticate: not at all, with Basic credentials on every
   * request, or with bearer tokens from `<url>/token`.
   *
   * @default {"none"}
   */
  auth?: "none" | "basic" | "bearer";
  /** The one user name accepted. @default {"user"} */
  username?: string;
  /** The one password accepted. @default {"pass"} */
  password?: string;
  /** Lifetime of bearer tokens (`expires_in`), in seconds. @default {300} */
  tokenLifetimeSeconds?: number;
  /**
   * Serve `GET /v2/<name>/referrers/<digest>`; `false` answers 404 as a
   * registry without the referrers API does.
   *
   * @default {true}
   */
  referrersApi?: boolean;
  /**
   * Answer `OCI-Subject` when a pushed manifest has a `subject`. The spec
   * asks this of registries with the referrers API, so it follows
   * `referrersApi` unless set.
   *
   * @default {referrersApi}
   */
  answerOciSubject?: boolean;
  /** Announce `OCI-Chunk-Min-Length` on upload sessions and enforce it. */
  chunkMinLength?: number;
  /**
   * Largest page of tags, repositories or referrers; bigger `n` are cut
   * down and the rest is paged with `Link: <...>; rel="next"`.
   *
   * @default {100}
   */
  tagPageLimit?: number;
  /**
   * Docker Hub style pull budget: manifest `GET`s spend one (`HEAD` is
   * free), answers carry `RateLimit-Limit: 100;w=21600` and
   * `RateLimit-Remaining`, and an empty budget answers 429.
   */
  rateLimit?: FakeRateLimit;
}

/**
 * A pull budget, see {@linkcode FakeRegistryOptions.rateLimit}.
 *
 * @example
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry({ rateLimit: { limit: 100, remaining: 2 } });
 * console.log(registry.rateLimit?.remaining); // 2, spent by manifest GETs
 * ```
 */
export interface FakeRateLimit {
  /** Pulls allowed per window. */
  limit: number;
  /** Pulls left; decremented by each manifest `GET`. */
  remaining: number;
  /** The window in seconds (`w=`). @default {21600} */
  windowSeconds?: number;
}

/**
 * Filters and a use counter shared by most faults.
 *
 * @example Only the first blob GET of one repository
 * ```ts
 * import type { FaultFilter } from "jsr:@scope/docker-registry-client/testing";
 *
 * const filter: FaultFilter = { path: /^\/v2\/app\/blobs\//, method: "GET", times: 1 };
 * ```
 */
export interface FaultFilter {
  /** Only requests whose path and query (`/v2/...?...`) match. */
  path?: RegExp;
  /** Only requests with this method. */
  method?: string;
  /**
   * How many matching requests the fault hits before it removes itself
   * from {@linkcode FakeRegistry.faults}; `Infinity` for ever. The default
   * is given by each fault.
   */
  times?: number;
}

/**
 * Answer matching requests with an error status before anything else
 * (authentication included). Without `path`, every request to the registry
 * matches, the token endpoint too.
 *
 * @example A 429 with Retry-After, once
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.faults.status = { status: 429, retryAfter: "2", path: /manifests/ };
 * ```
 *
 * @example A token server without the OAuth2 POST flow
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry({ auth: "bearer" });
 * registry.faults.status = { status: 404, path: /^\/token/, method: "POST", times: Infinity };
 * ```
 */
export interface StatusFault extends FaultFilter {
  /** The HTTP status. `times` defaults to 1. */
  status: number;
  /** `Retry-After` value: seconds (`"2"`) or an HTTP date. */
  retryAfter?: string;
  /** The OCI error code of the body; derived from the status if unset. */
  code?: string;
}

/**
 * Cut blob `GET` bodies after some bytes: the response announces its full
 * `Content-Length`, sends `bytes` bytes, then the connection is aborted,
 * so reading the body fails. Applies on both origins. `bytes` must be
 * smaller than the body for the cut to show.
 *
 * @example Drop the first download after 1 KiB
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.faults.dropAfterBytes = { bytes: 1024 };
 * ```
 */
export interface DropAfterBytesFault extends FaultFilter {
  /** Bytes of the body sent before the drop. `times` defaults to 1. */
  bytes: number;
}

/**
 * Invert one byte of blob and manifest `GET` bodies (headers, including
 * `Docker-Content-Digest`, stay truthful). Applies on both origins.
 *
 * @example
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.faults.flipByte = { offset: 0, path: /blobs/ };
 * ```
 */
export interface FlipByteFault extends FaultFilter {
  /** Offset in the stored object. `times` defaults to `Infinity`. */
  offset: number;
}

/**
 * Accept only the first bytes of a `PATCH` chunk, then cut the connection
 * without an answer; the client must ask `GET <location>` where the upload
 * stands.
 *
 * Note that Deno's `fetch` replays a request whose body is a buffer (not a
 * stream) when a reused connection dies this way: the client then sees the
 * replay's answer, a 416 (the first bytes were kept), not an error.
 *
 * @example
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.faults.dropUploadAfterBytes = { bytes: 100 };
 * ```
 */
export interface DropUploadFault extends FaultFilter {
  /**
   * Bytes kept before the cut. A chunk whose `Content-Length` is not more
   * than this is accepted whole and does not spend the fault. `times`
   * defaults to 1.
   */
  bytes: number;
}

/**
 * Answer matching requests with a body of `bytes` bytes generated as it is
 * read, to prove clients cap what they read.
 *
 * @example A 5 GiB "manifest"
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.faults.hugeBody = { path: /manifests/, bytes: 5 * 2 ** 30 };
 * ```
 */
export interface HugeBodyFault {
  /** Requests whose path and query match. */
  path: RegExp;
  /** Only requests with this method. */
  method?: string;
  /** Length of the body. */
  bytes: number;
  /** Status of the answer. @default {200} */
  status?: number;
  /** `Content-Type` of the answer. @default {"application/octet-stream"} */
  contentType?: string;
  /**
   * Announce `Content-Length` (else the body is chunked).
   *
   * @default {false}
   */
  contentLength?: boolean;
}

/**
 * Serve a chain of image indexes nested `depth` deep: a manifest `GET` or
 * `HEAD` by tag (of any repository, or of those whose path matches) answers
 * the top index, whose one entry is the next index, and so on down to an
 * image manifest with the empty config (seeded into the repository) and no
 * layers. The chain is built once per fault object (its manifests are served
 * by digest, not stored), so a depth of thousands costs a few MiB. Shows
 * that a client bounds how deep it walks, and keeps its memory flat.
 *
 * @example An index nested 5,000 deep under every tag
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.faults.nestedIndex = { depth: 5_000 };
 * ```
 */
export interface NestedIndexFault {
  /** How many indexes are nested (the top one counted). */
  depth: number;
  /** Only manifest requests whose path and query match. */
  path?: RegExp;
}

/**
 * Send response bodies a few bytes at a time, `everyMs` apart (headers come
 * at once): a peer that trickles, each byte arriving before an inactivity
 * timeout would fire. Applies to every answer with a body that matches
 * (manifests, blobs, listings, tokens, errors). `times` defaults to
 * `Infinity`.
 *
 * @example A byte every 50 ms on blob downloads
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.faults.trickle = { everyMs: 50, path: /\/blobs\//, method: "GET" };
 * ```
 */
export interface TrickleFault extends FaultFilter {
  /** The wait between two sends, in milliseconds. */
  everyMs: number;
  /** Bytes per send. @default {1} */
  bytes?: number;
}

/** A request of a blob upload: open (`POST`), chunk (`PATCH`), close (`PUT`). */
export type UploadStep = "POST" | "PATCH" | "PUT";

/**
 * Answer one step of blob uploads with 401 (`error="invalid_token"`, the
 * challenge of the registry's auth mode) after authentication passed, as a
 * registry whose token was revoked does; the session itself is untouched.
 * `times` defaults to 1; `Infinity` refuses that step always (a renewed
 * token does not help).
 *
 * @example The closing PUT refused once
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry({ auth: "bearer" });
 * registry.faults.uploadUnauthorized = { step: "PUT" };
 * ```
 */
export interface UploadAuthFault {
  /** Which request of the upload. */
  step: UploadStep;
  /** How many matching requests it hits. */
  times?: number;
}

/**
 * Faults, switchable at any time by assigning to
 * {@linkcode FakeRegistry.faults}. Counted faults remove themselves once
 * used up.
 *
 * @example Several faults at once
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry({ auth: "bearer" });
 * registry.faults = { delayMs: 50, redirectBlobs: true, expireTokensAfter: { requests: 3 } };
 * ```
 */
export interface FakeFaults {
  /** Error answers, see {@linkcode StatusFault}. */
  status?: StatusFault;
  /** Blob downloads cut short, see {@linkcode DropAfterBytesFault}. */
  dropAfterBytes?: DropAfterBytesFault;
  /** Corrupted bodies, see {@linkcode FlipByteFault}. */
  flipByte?: FlipByteFault;
  /**
   * Every token becomes invalid after this many authenticated requests
   * (401 `error="invalid_token"`), as when a token expires mid-push.
   */
  expireTokensAfter?: { requests: number };
  /**
   * Wait this long before answering any request to the registry (stops
   * early if the client goes away).
   */
  delayMs?: number;
  /**
   * Answer blob `GET`s with 307 to the same path on
   * {@linkcode FakeRegistry.secondOrigin}.
   */
  redirectBlobs?: boolean;
  /** Answer chunk `PATCH`es with 201 instead of 202 (as ECR does). */
  patchReturns201?: boolean;
  /**
   * Refuse single-request uploads (`POST ?digest=`): answer 202 with an
   * upload session, as the spec says, and drop the body.
   */
  refuseSingleRequestUpload?: boolean;
  /** Chunk uploads cut short, see {@linkcode DropUploadFault}. */
  dropUploadAfterBytes?: DropUploadFault;
  /** Overrides {@linkcode FakeRegistryOptions.chunkMinLength}. */
  chunkMinLength?: number;
  /** Endless bodies, see {@linkcode HugeBodyFault}. */
  hugeBody?: HugeBodyFault;
  /** `Content-Type` of manifest answers, whatever was stored. */
  contentType?: string;
  /**
   * Answer manifests with a `Content-Type` that differs from their
   * `mediaType` (OCI ↔ Docker).
   */
  manifestMediaTypeMismatch?: boolean;
  /**
   * The `Link` header of every tags, catalog and referrers page, verbatim
   * (another host, garbage…).
   */
  badLink?: string;
  /**
   * Tags and catalog pages always announce a next page, a new one each
   * time (past the end, after a cursor that grows by `~`).
   */
  tagsPageForever?: boolean;
  /** The `WWW-Authenticate` value of every 401 challenge, verbatim. */
  wwwAuthenticate?: string;
  /** The JSON body of every token answer (e.g. `{}` without a token). */
  tokenAnswer?: unknown;
  /** The `Location` of every upload session answer, verbatim. */
  location?: string;
  /** Indexes nested N deep, see {@linkcode NestedIndexFault}. */
  nestedIndex?: NestedIndexFault;
  /** Bodies sent a byte at a time, see {@linkcode TrickleFault}. */
  trickle?: TrickleFault;
  /**
   * The last page of every tags, catalog and referrers listing links back
   * to the first (a one-page listing to itself): a `Link` cycle.
   */
  linkCycle?: boolean;
  /** A 401 at one step of uploads, see {@linkcode UploadAuthFault}. */
  uploadUnauthorized?: UploadAuthFault;
  /**
   * Every bearer token expires when an upload reaches this step (that
   * request is refused with 401 `invalid_token`; a new token works): a token
   * that expires between the start and the end of an upload. `times`
   * defaults to 1. Refresh tokens stay valid.
   */
  expireTokensAt?: UploadAuthFault;
}

/**
 * A request as the fake received it.
 *
 * @example
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * await (await fetch(`${registry.url}/v2/`)).body?.cancel();
 * console.log(registry.requests[0].path); // "/v2/"
 * ```
 */
export interface RecordedRequest {
  /** The method. */
  method: string;
  /** Path and query. */
  path: string;
  /** Headers by lower-case name (repeated headers joined by `, `). */
  headers: Record<string, string>;
  /** When it arrived (`Date.now()`). */
  at: number;
}

/**
 * A stored manifest.
 *
 * @example
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.seedManifest("app", "v1", { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] });
 * console.log(registry.getManifest("app", "v1")?.mediaType);
 * ```
 */
export interface FakeManifest {
  /** The bytes, as pushed. */
  bytes: Uint8Array;
  /** The media type it was pushed with. */
  mediaType: string;
}

/**
 * A repository's content.
 *
 * @example
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.seedBlob("app", "hello");
 * console.log(registry.repositories.get("app")?.blobs.size); // 1
 * ```
 */
export interface FakeRepository {
  /** Tag → manifest digest. */
  tags: Map<string, string>;
  /** Manifest digest → manifest. */
  manifests: Map<string, FakeManifest>;
  /** Digests of the blobs linked into the repository. */
  blobs: Set<string>;
}

/**
 * An open upload session.
 *
 * @example
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * console.log(registry.uploads.size); // 0
 * ```
 */
export interface FakeUpload {
  /** The repository it uploads into. */
  repo: string;
  /** The chunks received. */
  chunks: Uint8Array[];
  /** Bytes received. */
  length: number;
  /**
   * The `_state` of the latest `Location` (a secret of the session and the
   * offset it was issued at). A status `GET` or `DELETE` may bring any
   * `_state` the session issued; a chunk sent with one issued at another
   * offset is out of order (416).
   */
  state: string;
  /** Length of the last chunk, if any. */
  lastChunkLength: number | undefined;
}

/**
 * The second server, on another port (another origin), that serves blobs
 * when {@linkcode FakeFaults.redirectBlobs} is on, without authentication.
 *
 * @example Check that credentials were not forwarded
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * console.log(registry.secondOrigin.requests.some((r) => "authorization" in r.headers));
 * ```
 */
export interface FakeSecondOrigin {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`. */
  host: string;
  /** What it received. */
  requests: RecordedRequest[];
}

/**
 * A running fake registry. Dispose of it (`await using`) or call
 * {@linkcode FakeRegistry.close}.
 *
 * @example Seed, break, inspect
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry({ auth: "basic" });
 * const digest = registry.seedBlob("app", new TextEncoder().encode("layer"));
 * registry.faults.dropAfterBytes = { bytes: 2 };
 * // … run the code under test against registry.url …
 * console.log(registry.requests.length, digest);
 * ```
 */
export interface FakeRegistry extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`, as in image references. */
  readonly host: string;
  /** The faults in force; assign or mutate at any time. */
  faults: FakeFaults;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** Blob bytes by digest, shared by all repositories. */
  readonly blobs: Map<string, Uint8Array>;
  /** Repositories by name. */
  readonly repositories: Map<string, FakeRepository>;
  /** Open upload sessions by UUID. */
  readonly uploads: Map<string, FakeUpload>;
  /** The redirect target for blobs. */
  readonly secondOrigin: FakeSecondOrigin;
  /** The pull budget, when {@linkcode FakeRegistryOptions.rateLimit} is set. */
  readonly rateLimit: FakeRateLimit | undefined;
  /** Bearer tokens issued so far. */
  readonly tokensIssued: number;
  /**
   * Stores a blob and links it into `repo`.
   *
   * @param repo The repository name.
   * @param bytes The content (a string is UTF-8 encoded).
   * @returns The blob's sha256 digest.
   */
  seedBlob(repo: string, bytes: Uint8Array | string): string;
  /**
   * Stores a manifest, tagged when `ref` is a tag.
   *
   * @param repo The repository name.
   * @param ref A tag, or a digest (the manifest is then stored untagged).
   * @param manifest The bytes, a string, or an object to serialize.
   * @param mediaType The media type; defaults to the body's `mediaType`,
   *   else the OCI manifest type.
   * @returns The manifest's digest.
   */
  seedManifest(
    repo: string,
    ref: string,
    manifest: Uint8Array | string | Record<string, unknown>,
    mediaType?: string,
  ): string;
  /**
   * A blob's bytes, from any repository.
   *
   * @param digest The blob digest.
   * @returns The bytes, or `undefined`.
   */
  getBlob(digest: string): Uint8Array | undefined;
  /**
   * A manifest by tag or digest.
   *
   * @param repo The repository name.
   * @param ref A tag or digest.
   * @returns The manifest with its digest, or `undefined`.
   */
  getManifest(
    repo: string,
    ref: string,
  ): (FakeManifest & { digest: string }) | undefined;
  /** Invalidates every token and refresh token issued so far. */
  revokeTokens(): void;
  /**
   * Stops both servers and closes every connection.
   *
   * @returns When everything is closed.
   */
  close(): Promise<void>;
}
