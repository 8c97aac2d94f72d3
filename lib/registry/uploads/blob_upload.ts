/**
 * Blob uploads: monolithic (`POST` then one streaming `PUT ?digest=`),
 * chunked (`PATCH` with `Content-Range`, re-synced with `GET <location>`
 * after a failure), streamed (`PATCH` of a stream of unknown digest, hashed
 * on the way), cross-repository mounts and blob deletes.
 *
 * The public entry points are the methods of `RegistryClientV2`
 * (`blobUpload`, `mountBlob`, `deleteBlob`); this module holds the types they
 * take and return and the entry points behind them. The request logic lives in
 * `upload/`: `_source.ts` (what is read), `_session.ts` (upload sessions),
 * `_transfer.ts` (sending pieces, re-syncing), `_chunks.ts` and `_meter.ts`.
 *
 * Memory stays bounded whatever the blob's size: files are streamed from
 * disk, chunks are held one at a time, and only small in-memory bodies are
 * buffered for replay.
 *
 * @module
 */

import { type CallOptions, refSuffix, type RepoHttp } from "../_repo_http.ts";
import { digestOf, DigestVerifier, parseDigest } from "../../ref/digest.ts";
import { isValidRepoName } from "../../ref/reference.ts";
import {
  DigestMismatchError,
  InvalidReferenceError,
  SizeMismatchError,
} from "../../errors.ts";
import {
  cancelSession,
  headBlob,
  mountSession,
  type Opened,
  singlePost,
  startSession,
} from "./_session.ts";
import {
  cancelStream,
  countStream,
  hashContent,
  SINGLE_POST_MAX,
  toContent,
} from "./_source.ts";
import { putWhole, type Transfer, uploadInto } from "./_transfer.ts";

export type { CallOptions };

/**
 * What {@linkcode RegistryClientV2.blobUpload} accepts: a stream, bytes, a
 * `Blob` (or `File`), or a file given by path or `file:` URL (streamed from
 * disk, never read whole into memory). A string is always a file path, never
 * the content itself.
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
   * `Blob`s and bytes are hashed before the upload (so that an existing blob
   * is skipped), streams while they upload.
   */
  digest?: string;
  /** The blob's size in bytes, when known; checked against the content. */
  size?: number;
  /**
   * The source stream checks itself against `digest` and errors on a
   * mismatch (as `createBlobReadStream` and `OciLayout.readBlob` do): the
   * upload does not hash it a second time. Needs `digest` (ignored without
   * it); the size is still checked, and the registry still checks the
   * `?digest=` of the closing `PUT`.
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

function checkRepoName(name: string): void {
  if (!isValidRepoName(name)) {
    throw new InvalidReferenceError(
      "repository name",
      name,
      "must be path components of [a-z0-9] joined by ., _, __ or -",
    );
  }
}

function checkSize(value: number | undefined, what: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(
      `${what} must be a non-negative integer, got ${value}`,
    );
  }
}

/** Checks the options of an upload; returns the digest given, normalised. */
function checkUploadOptions(options: BlobUploadOptions): string | undefined {
  checkSize(options.size, "BlobUploadOptions.size");
  if (
    options.chunkSize !== undefined &&
    !(Number.isSafeInteger(options.chunkSize) && options.chunkSize > 0)
  ) {
    throw new RangeError(
      `BlobUploadOptions.chunkSize must be a positive integer, got ${options.chunkSize}`,
    );
  }
  if (options.mountFrom !== undefined) checkRepoName(options.mountFrom);
  return options.digest === undefined
    ? undefined
    : parseDigest(options.digest).digest;
}

/**
 * Uploads a blob into the repository of `http`: skips it when the registry
 * has it, tries a mount when asked, then sends it monolithic, streamed or
 * chunked. The session is cancelled (`DELETE <location>`) on any failure.
 *
 * @internal Plumbing of `RegistryClientV2.blobUpload`.
 * @param http The repository's request plumbing.
 * @param source The content.
 * @param options Digest, size, chunking, mount source, progress, cancellation.
 * @returns The digest and size, and whether the upload was skipped or mounted.
 * @throws {DigestMismatchError} When the content does not match `digest`.
 * @throws {SizeMismatchError} When the content does not match `size`.
 */
export async function uploadBlob(
  http: RepoHttp,
  source: BlobSource,
  options: BlobUploadOptions = {},
): Promise<BlobUploadResult> {
  let given: string | undefined;
  try {
    given = checkUploadOptions(options);
  } catch (err) {
    // A stream given is released (a response body keeps its connection).
    if (source instanceof ReadableStream) {
      await source.cancel(err).catch(() => {});
    }
    throw err;
  }
  const algorithm = given === undefined
    ? "sha256"
    : parseDigest(given).algorithm;
  const call: CallOptions = { signal: options.signal };
  const content = await toContent(source);
  const attempted = `push blob${given ? ` ${given}` : ""} to "${http.name}"`;
  try {
    if (
      options.size !== undefined && content.size !== undefined &&
      options.size !== content.size
    ) {
      throw new SizeMismatchError(attempted, options.size, content.size);
    }
    if (given !== undefined && content.kind === "bytes") {
      const actual = digestOf(content.bytes, algorithm);
      if (actual !== given) {
        throw new DigestMismatchError(attempted, given, actual);
      }
    }
    const digest = given ??
      (content.kind === "stream"
        ? undefined
        : await hashContent(content, algorithm, http.signal(call)));
    const size = content.size ?? options.size;
    /** The size of a blob nothing is sent of: ours, the registry's, or counted. */
    const sizeOfPresent = async (registrySize: number | undefined) => {
      const known = size ?? registrySize ??
        (content.kind === "stream"
          ? await countStream(content.stream, http.signal(call))
          : 0);
      await cancelStream(content);
      return known;
    };

    let opened: Opened | undefined;
    if (digest !== undefined && options.mountFrom !== undefined) {
      opened = await mountSession(
        http,
        digest,
        options.mountFrom,
        call,
        `mount blob ${digest} from "${options.mountFrom}" into "${http.name}"`,
      );
      if (opened.done) {
        const there = size === undefined
          ? await headBlob(http, digest, call)
          : undefined;
        return {
          digest,
          size: await sizeOfPresent(there?.size),
          mounted: true,
        };
      }
    } else if (digest !== undefined && !options.force) {
      const existing = await headBlob(
        http,
        digest,
        call,
        `push blob ${digest} to "${http.name}" (existence check)`,
      );
      if (existing !== undefined) {
        return {
          digest,
          size: await sizeOfPresent(existing.size),
          skipped: true,
        };
      }
    }
    if (opened === undefined) {
      opened = content.kind === "bytes" && digest !== undefined &&
          options.chunkSize === undefined && content.size <= SINGLE_POST_MAX &&
          content.size > 0
        ? await singlePost(http, content.bytes, digest, call, attempted)
        : { session: await startSession(http, call, attempted) };
    }
    if (opened.done) {
      options.onProgress?.(content.size ?? 0);
      return { digest: digest!, size: content.size ?? 0 };
    }
    return await uploadInto(http, opened.session, content, {
      digest,
      algorithm,
      // Checked while it is sent: a digest given, unless the bytes were
      // checked above or the stream checks itself. A digest computed here
      // from the content is not checked again.
      verify: given !== undefined && content.kind !== "bytes" &&
        !(options.verified && content.kind === "stream"),
      expectedSize: options.size,
      chunkSize: options.chunkSize,
      call,
      attempted,
      onProgress: options.onProgress,
    });
  } catch (err) {
    await cancelStream(content, err);
    throw err;
  }
}

/**
 * Mounts a blob from another repository of the same registry. When the
 * registry opens an ordinary upload instead (202), the blob is read from
 * `fromRepo` (verified against its digest) and streamed into that upload.
 *
 * @internal Plumbing of `RegistryClientV2.mountBlob`.
 * @param http The target repository's request plumbing.
 * @param digest The blob's digest.
 * @param fromRepo The source repository (its name on the same registry).
 * @param call Cancellation.
 * @returns The digest and whether the registry mounted it.
 * @throws {NotFoundError} When the source repository lacks the blob.
 */
export async function mountBlob(
  http: RepoHttp,
  digest: string,
  fromRepo: string,
  call: CallOptions = {},
): Promise<MountResult> {
  parseDigest(digest);
  checkRepoName(fromRepo);
  const attempted =
    `mount blob ${digest} from "${fromRepo}" into "${http.name}"`;
  const opened = await mountSession(http, digest, fromRepo, call, attempted);
  if (opened.done) return { digest, mounted: true };
  const t: Transfer = {
    http,
    session: opened.session,
    call,
    attempted: `${attempted} (copy through an upload)`,
    resyncs: 0,
  };
  try {
    const source = `get blob "${fromRepo}@${digest}"`;
    const res = await http.send(
      source,
      http.request(
        "GET",
        `${http.baseUrl}/v2/${fromRepo}/blobs/${digest}`,
        call,
      ),
      [200],
    );
    const length = Number(res.headers.get("content-length") ?? NaN);
    const size = Number.isSafeInteger(length) ? length : undefined;
    const verified = (res.body ?? new Response(new Uint8Array(0)).body!)
      .pipeThrough(
        new DigestVerifier({ digest, size, attempted: `verify ${source}` }),
      );
    await putWhole(t, { kind: "stream", stream: verified }, digest, {
      verify: false,
    });
  } catch (err) {
    await cancelSession(http, t.session.location);
    throw err;
  }
  return { digest, mounted: false };
}

/**
 * Deletes a blob (`DELETE /v2/<name>/blobs/<digest>`).
 *
 * @internal Plumbing of `RegistryClientV2.deleteBlob`.
 * @param http The repository's request plumbing.
 * @param digest The blob's digest.
 * @param call Cancellation.
 * @returns When the registry has accepted the delete.
 * @throws {NotFoundError} When the blob is not there.
 */
export async function deleteBlob(
  http: RepoHttp,
  digest: string,
  call: CallOptions = {},
): Promise<void> {
  parseDigest(digest);
  const res = await http.send(
    `delete blob "${http.name}${refSuffix(digest)}"`,
    http.request("DELETE", http.url(`blobs/${digest}`), call),
    [200, 202, 204],
  );
  await res.body?.cancel();
}
