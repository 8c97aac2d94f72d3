/**
 * The per-repository client: {@linkcode createClient} and the facade
 * {@linkcode RegistryClientV2}, over one file per resource beside it.
 * @module
 */

import type { LoginResult, RegistryAuth } from "../transport/auth.ts";
import type { ImageIndex, Manifest } from "../ref/media_types.ts";
import type { RepoRef } from "../ref/reference.ts";
import { connect, type Connection } from "./connection.ts";
import * as blobs from "./blobs.ts";
import * as catalog from "./catalog.ts";
import * as manifests from "./manifests.ts";
import * as ping from "./ping.ts";
import * as referrers from "./referrers.ts";
import * as tags from "./tags.ts";
import * as seed from "./_seed_compat.ts";
import { checkRateLimit } from "./rate_limit.ts";
import type { CallOptions, ClientOptions, PingInfo } from "./options.ts";
import type { Catalog, ListOptions, RateLimit, TagList } from "./options.ts";
import type { GetManifestOptions, ManifestHead } from "./options.ts";
import type { ManifestResult, MountResult } from "./options.ts";
import type { PutManifestOptions, PutManifestResult } from "./options.ts";
import type { BlobHead, BlobReadOptions, BlobReadStream } from "./options.ts";
import type { BlobSource, BlobUploadOptions } from "./options.ts";
import type { BlobUploadResult, ReferrersOptions } from "./options.ts";
import type { LoginOptions, PingOptions } from "./seed_aliases.ts";
import type { LegacyBlobHead, LegacyBlobOptions } from "./seed_aliases.ts";
import type { LegacyBlobReadStream } from "./seed_aliases.ts";
import type { LegacyBlobUploadOptions } from "./seed_aliases.ts";
import type { LegacyGetManifestOptions } from "./seed_aliases.ts";
import type { LegacyManifestResult } from "./seed_aliases.ts";
import type { LegacyPutManifestOptions } from "./seed_aliases.ts";
import type { LegacyPutManifestResult } from "./seed_aliases.ts";
import type { LegacyRefOptions } from "./seed_aliases.ts";

export * from "./options.ts";

/**
 * A client for one repository of a registry (Docker Registry HTTP API V2 and
 * the OCI distribution spec). Create it with {@linkcode createClient}.
 *
 * @example
 * ```ts
 * import { createClient } from "jsr:@scope/docker-registry-client";
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
 * const { tags } = await client.listTags();
 * console.log(await client.headManifest(tags[0])); // { digest, mediaType, size }
 * ```
 */
export class RegistryClientV2 {
  /** The parsed repository reference. */
  readonly repo: RepoRef;
  /** The registry's base URL, e.g. `https://registry-1.docker.io`. */
  readonly baseUrl: string;
  /** The auth state; pass it as `auth` to another client of this registry to share tokens. */
  readonly auth: RegistryAuth;
  /** Docker Hub's `RateLimit-Limit`/`RateLimit-Remaining`, from the latest response that had them. */
  rateLimit?: RateLimit;
  readonly #ctx: Connection;

  /**
   * Prefer {@linkcode createClient}.
   * @param options The repository and how to reach it (see `connection.ts`).
   */
  constructor(options: ClientOptions) {
    const c = connect(seed.clientOptions(options), (l) => this.rateLimit = l);
    this.repo = c.repo;
    this.baseUrl = c.baseUrl;
    this.auth = c.auth;
    this.#ctx = c;
  }

  /**
   * Closes the HTTP client made to trust `caCerts` (a no-op without, or when called again); requests after it fail. Clients sharing this client's `auth` use it too: close it once they are done.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * const client = createClient({ repo: "registry.internal.example/team/app", caCerts: [await Deno.readTextFile("ca.pem")] });
   * console.log(await client.listTags());
   * client.close();
   * ```
   */
  close(): void {
    const httpClient = this.#ctx.httpClient;
    this.#ctx.httpClient = undefined;
    httpClient?.close();
  }

  /** Closes the client at the end of a `using` block (`using client = createClient(…)`): see {@linkcode RegistryClientV2.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Pings the registry (`GET /v2/`), once per registry: later calls, and the auth layer, share the answer.
   * @param options Cancellation.
   * @returns The status, V2 support, the auth schemes offered and the headers.
   * @throws {ConnectionError} When the registry cannot be reached.
   * @throws {HttpError} When it answers neither 200 nor 401.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/foo" }).ping()); // { status: 200, supportsV2: true, authSchemes: [], headers }
   * ```
   */
  async ping(options?: PingOptions): Promise<PingInfo> {
    return await ping.ping(this.#ctx, options);
  }

  /**
   * Whether the registry speaks the V2 API.
   * @param options Cancellation.
   * @returns `true` when `GET /v2/` answers 200 or 401 as V2 registries do.
   * @throws {ConnectionError} When the registry cannot be reached.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/foo" }).supportsV2());
   * ```
   */
  async supportsV2(options?: CallOptions): Promise<boolean> {
    return await ping.supportsV2(this.#ctx, options);
  }

  /**
   * Authenticates now rather than on the first request: a token for pull on this repository (bearer), or a check of the Basic credentials.
   * @param options Extra scopes (e.g. `repository:foo:push`) and cancellation.
   * @returns How the registry authenticates and the scopes obtained.
   * @throws {AuthenticationError} When the credentials are refused.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo", username: "u", password: "p" });
   * console.log(await client.login()); // { scheme: "bearer", scopes: ["repository:foo:pull"] }
   * ```
   */
  async login(options: LoginOptions = {}): Promise<LoginResult> {
    return await seed.login(this.#ctx, options);
  }

  /**
   * Iterates over every tag, following `Link: rel="next"` across pages (and `last=` when a registry pages without `Link`).
   * @param options Page size, page bound and cancellation.
   * @returns The tags, as an async iterable.
   * @throws {NotFoundError} When the repository does not exist.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * for await (const tag of client.iterateTags({ pageSize: 100 })) console.log(tag);
   * ```
   */
  async *iterateTags(options: ListOptions = {}): AsyncGenerator<string> {
    yield* tags.iterateTags(this.#ctx, options);
  }

  /**
   * Lists every tag of the repository, across all pages.
   * @param options Page size, page bound and cancellation.
   * @returns `{name, tags}`, as the earlier clients returned it.
   * @throws {NotFoundError} When the repository does not exist.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/foo" }).listTags()); // { name: "foo", tags: ["1", "latest"] }
   * ```
   */
  async listTags(options: ListOptions = {}): Promise<TagList> {
    return await tags.listTags(this.#ctx, options);
  }

  /**
   * Iterates over the registry's repositories (`/v2/_catalog`), across pages.
   * @param options Page size, page bound and cancellation.
   * @returns The repository names, as an async iterable.
   * @throws {AuthenticationError} When the catalog needs more rights.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * for await (const repo of createClient({ repo: "http://127.0.0.1:5000/foo" }).iterateCatalog()) console.log(repo);
   * ```
   */
  async *iterateCatalog(options: ListOptions = {}): AsyncGenerator<string> {
    yield* catalog.iterateCatalog(this.#ctx, options);
  }

  /**
   * Lists every repository of the registry (`/v2/_catalog`), across pages.
   * @param options Page size, page bound and cancellation.
   * @returns `{repositories}`.
   * @throws {AuthenticationError} When the catalog needs more rights.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/foo" }).listCatalog()); // { repositories: ["foo", "bar/baz"] }
   * ```
   */
  async listCatalog(options: ListOptions = {}): Promise<Catalog> {
    return await catalog.listCatalog(this.#ctx, options);
  }

  /**
   * Gets a manifest by tag or digest, verified: its digest (against a digest reference, else `Docker-Content-Digest`), its `mediaType` against `Content-Type`, its size against the cap.
   * @param ref A tag or digest; by default the reference's own (or `latest`).
   * @param options A platform to follow from an index, a size cap, cancellation.
   * @returns The parsed manifest, its media type, digest and exact bytes.
   * @throws {NotFoundError} When there is no such manifest (`MANIFEST_UNKNOWN`).
   * @throws {DigestMismatchError} When the bytes do not match the digest.
   * @throws {ManifestTooLargeError} When the manifest is over the cap.
   * @throws {InvalidResponseError} On invalid JSON or a media type conflict.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * const { manifest, digest } = await createClient({ repo: "http://127.0.0.1:5000/foo" }).getManifest("latest", { platform: { os: "linux", architecture: "amd64" } });
   * console.log(digest, manifest.schemaVersion);
   * ```
   */
  getManifest(
    ref?: string,
    options?: GetManifestOptions,
  ): Promise<ManifestResult>;
  /** The earlier clients' form, `getManifest({ ref, acceptManifestLists })`: also returns their `resp`. */
  getManifest(args: LegacyGetManifestOptions): Promise<LegacyManifestResult>;
  async getManifest(...a: seed.GetManifestArgs): Promise<ManifestResult> {
    return await seed.getManifest(this.#ctx, ...a);
  }

  /**
   * Gets a manifest's digest, media type and size without its body (`HEAD`); when the answer lacks one, the manifest is fetched.
   * @param ref A tag or digest; by default the reference's own.
   * @param options Cancellation.
   * @returns `{digest, mediaType, size}`.
   * @throws {NotFoundError} When there is no such manifest.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/foo" }).headManifest("latest"));
   * ```
   */
  async headManifest(
    ref?: string,
    options: CallOptions = {},
  ): Promise<ManifestHead> {
    return await manifests.headManifest(this.#ctx, ref, options);
  }

  /**
   * Asks for Docker Hub's pull budget with a `HEAD` on a manifest (not counted); also stored in {@linkcode RegistryClientV2.rateLimit}, which every response updates.
   * @param ref A tag or digest to ask about; by default the reference's own.
   * @param options Cancellation.
   * @returns The budget, or `undefined` when the registry sends no such headers.
   * @throws {TooManyRequestsError} When the budget is spent and even the `HEAD` is refused.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "ratelimitpreview/test" }).checkRateLimit()); // { limit: 100, remaining: 76, windowSeconds: 21600 }
   * ```
   */
  async checkRateLimit(
    ref?: string,
    options: CallOptions = {},
  ): Promise<RateLimit | undefined> {
    return await checkRateLimit(this.#ctx, ref, options);
  }

  /**
   * Gets a blob's size (and media type, when the registry says) with `HEAD`.
   * @param digest The blob's digest.
   * @param options Cancellation.
   * @returns `{digest, size, mediaType?}`.
   * @throws {NotFoundError} When the blob is not in the repository (`BLOB_UNKNOWN`).
   * @throws {InvalidResponseError} When the answer has no valid `Content-Length`.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/foo" }).headBlob("sha256:" + "0".repeat(64)));
   * ```
   */
  headBlob(digest: string, options?: CallOptions): Promise<BlobHead>;
  /** The Deno port's form, `headBlob({ digest })`: its responses, with `digest`, `size`, `mediaType`. */
  headBlob(args: LegacyBlobOptions): Promise<LegacyBlobHead>;
  async headBlob(...a: seed.HeadBlobArgs): Promise<BlobHead> {
    return await seed.headBlob(this.#ctx, ...a);
  }

  /**
   * Whether the repository has a blob (`HEAD`; 404 means no).
   * @param digest The blob's digest.
   * @param options Cancellation.
   * @returns `true` when the blob is there.
   * @throws {HttpError} On any failure but 404.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/foo" }).hasBlob("sha256:" + "0".repeat(64))); // false
   * ```
   */
  async hasBlob(digest: string, options: CallOptions = {}): Promise<boolean> {
    return await blobs.hasBlob(this.#ctx, digest, options);
  }

  /**
   * Reads a blob as a stream checked against its digest (and size, when known) while it streams; see `blobs.ts` for redirects and resumes.
   * @param digest The blob's digest.
   * @param options The expected size, resume bound and cancellation.
   * @returns The verified stream (it errors on a mismatch) and the response metadata.
   * @throws {NotFoundError} When the blob is not there.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * const { stream } = await createClient({ repo: "http://127.0.0.1:5000/foo" }).createBlobReadStream("sha256:" + "0".repeat(64), { size: 2 });
   * console.log(await new Response(stream).text());
   * ```
   */
  createBlobReadStream(
    digest: string,
    options?: BlobReadOptions,
  ): Promise<BlobReadStream>;
  /** The Deno port's form, `createBlobReadStream({ digest })`: also returns its `ress`. */
  createBlobReadStream(args: LegacyBlobOptions): Promise<LegacyBlobReadStream>;
  async createBlobReadStream(...a: seed.ReadArgs): Promise<BlobReadStream> {
    return await seed.createBlobReadStream(this.#ctx, ...a);
  }

  /**
   * Downloads a blob to a file, verified while it streams; the file appears only once the digest checks out.
   * @param digest The blob's digest.
   * @param path The file to write.
   * @param options The expected size, resume bound and cancellation.
   * @returns The digest, the size written and the path.
   * @throws {DigestMismatchError} When the content does not match (no file is left).
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * await createClient({ repo: "http://127.0.0.1:5000/foo" }).downloadBlob("sha256:" + "0".repeat(64), "/tmp/blob");
   * ```
   */
  async downloadBlob(
    digest: string,
    path: string,
    options: BlobReadOptions = {},
  ): Promise<{ digest: string; size: number; path: string }> {
    return await blobs.downloadBlob(this.#ctx, digest, path, options);
  }

  /**
   * Uploads a blob, streamed (monolithic, or chunked with `chunkSize`), skipped when the registry has it; see `uploads/blob_upload.ts`.
   * @param source A file path or `file:` URL, bytes, a `Blob`, or a stream.
   * @param options Digest, size, chunking, mount source, progress, cancellation.
   * @returns The digest and size; `skipped` or `mounted` when nothing was sent.
   * @throws {AuthenticationError} When the registry refuses the push (401).
   * @throws {ForbiddenError} When the credentials lack push rights (403).
   * @throws {DigestMismatchError} When the content does not match `digest`.
   * @throws {SizeMismatchError} When the content does not match `size`.
   * @throws {RangeError} When `chunkSize` or `size` is not a valid number.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * const { digest, size } = await createClient({ repo: "http://127.0.0.1:5000/foo" }).blobUpload("/tmp/layer.tar.gz", { chunkSize: 8 * 1024 * 1024 });
   * console.log(digest, size);
   * ```
   */
  async blobUpload(
    source: BlobSource | LegacyBlobUploadOptions,
    options: BlobUploadOptions = {},
  ): Promise<BlobUploadResult> {
    return await seed.blobUpload(this.#ctx, source, options);
  }

  /**
   * Mounts a blob from another repository of the same registry; when the registry opens an upload instead, the blob is copied through it (verified).
   * @param digest The blob's digest.
   * @param fromRepo The source repository's name on this registry, e.g. `library/alpine`.
   * @param options Cancellation.
   * @returns The digest and whether the registry mounted it (`false`: copied).
   * @throws {InvalidReferenceError} When `fromRepo` is not a repository name.
   * @throws {NotFoundError} When the copy is needed and the source lacks the blob.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/app-copy" }).mountBlob("sha256:" + "0".repeat(64), "app")); // { digest: "sha256:…", mounted: true }
   * ```
   */
  async mountBlob(
    digest: string,
    fromRepo: string,
    options: CallOptions = {},
  ): Promise<MountResult> {
    return await blobs.mountBlob(this.#ctx, digest, fromRepo, options);
  }

  /**
   * Deletes a blob (`DELETE`); registries usually need deletes enabled.
   * @param digest The blob's digest.
   * @param options Cancellation.
   * @returns When the registry has accepted the delete.
   * @throws {NotFoundError} When the blob is not there.
   * @throws {HttpError} With status 405 (`UNSUPPORTED`) when deletes are disabled.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * await createClient({ repo: "http://127.0.0.1:5000/foo" }).deleteBlob("sha256:" + "0".repeat(64));
   * ```
   */
  async deleteBlob(digest: string, options: CallOptions = {}): Promise<void> {
    return await blobs.deleteBlob(this.#ctx, digest, options);
  }

  /**
   * Pushes a manifest (parsed, or its exact bytes) to a tag or digest, with its digest checked locally and against the registry's; see `manifest_push.ts` for the media type and the referrers fallback.
   * @param ref A tag or digest.
   * @param manifest The parsed manifest or its exact bytes.
   * @param options A media type for manifests without one, a size cap, cancellation.
   * @returns The confirmed digest, the size, the media type, and `OCI-Subject`.
   * @throws {ManifestTooLargeError} When the manifest is over the cap (4 MiB by default).
   * @throws {DigestMismatchError} When `ref` is a digest the bytes do not have, or the registry confirms another.
   * @throws {AuthenticationError} When the registry refuses the push.
   * @throws {TypeError} When the manifest is not a JSON object or its media type cannot be told.
   * @throws {InvalidDigestError} When `subject.digest` is not a valid digest.
   * @example
   * ```ts
   * import { createClient, MEDIA_TYPE } from "jsr:@scope/docker-registry-client";
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/foo" }).putManifest("v1", { schemaVersion: 2, mediaType: MEDIA_TYPE.OCI_INDEX, manifests: [] }));
   * ```
   */
  putManifest(
    ref: string,
    manifest: Manifest | Uint8Array,
    options?: PutManifestOptions,
  ): Promise<PutManifestResult>;
  /** The earlier clients' form, `putManifest({ ref, manifestData, mediaType })`: also returns their `location`. */
  putManifest(args: LegacyPutManifestOptions): Promise<LegacyPutManifestResult>;
  async putManifest(...a: seed.PutManifestArgs): Promise<PutManifestResult> {
    return await seed.putManifest(this.#ctx, ...a);
  }

  /**
   * Deletes a manifest by digest, or by tag (resolved to its digest when the registry refuses tag deletes, which removes every tag pointing at it).
   * @param ref A tag or digest.
   * @param options Cancellation.
   * @returns When the registry has accepted the delete.
   * @throws {NotFoundError} When there is no such manifest.
   * @throws {HttpError} With status 405 when deletes are disabled.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * await createClient({ repo: "http://127.0.0.1:5000/foo" }).deleteManifest("v1");
   * ```
   */
  async deleteManifest(
    ref: string | LegacyRefOptions,
    options: CallOptions = {},
  ): Promise<void> {
    return await seed.deleteManifest(this.#ctx, ref, options);
  }

  /**
   * Lists the manifests that refer to a manifest (OCI 1.1 `subject`), across pages, or from the `<alg>-<hex>` fallback tag; see `referrers.ts`.
   * @param digest The digest of the manifest referred to.
   * @param options An artifact type to filter on, cancellation.
   * @returns An OCI image index whose `manifests` are the referrers.
   * @throws {InvalidResponseError} When the answer is not an index.
   * @throws {NotFoundError} When a page after the first answers 404.
   * @throws {ResponseTooLargeError} When a page is over `maxManifestBytes`.
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   * const index = await createClient({ repo: "http://127.0.0.1:5000/foo" }).getReferrers("sha256:" + "0".repeat(64), { artifactType: "application/spdx+json" });
   * console.log(index.manifests.length);
   * ```
   */
  async getReferrers(
    digest: string,
    options: ReferrersOptions = {},
  ): Promise<ImageIndex> {
    return await referrers.getReferrers(this.#ctx, digest, options);
  }
}

/**
 * Creates a client for one repository.
 *
 * @param options The repository (`busybox`, `ghcr.io/org/app:1`, `http://127.0.0.1:5000/foo`) and how to authenticate.
 * @returns The client.
 * @throws {InvalidReferenceError} When the repository does not parse.
 *
 * @example Anonymous pull from Docker Hub
 * ```ts
 * import { createClient } from "jsr:@scope/docker-registry-client";
 * console.log((await createClient({ repo: "alpine" }).listTags()).tags.length);
 * ```
 */
export function createClient(options: ClientOptions): RegistryClientV2 {
  return new RegistryClientV2(options);
}
