/**
 * Blob uploads: monolithic (`POST` then one streaming `PUT ?digest=`),
 * chunked (`PATCH` with `Content-Range`, re-synced with `GET <location>`
 * after a failure), streamed (`PATCH` of a stream of unknown digest, hashed
 * on the way), and cross-repository mounts.
 *
 * The public entry points are the methods of `RegistryClientV2`
 * (`blobUpload`, `mountBlob`), which load this module on first use; the
 * types they take and return are in `../options.ts`. The request logic
 * lives beside it: `_source.ts` (what is read), `_session.ts` (upload
 * sessions), `_transfer.ts` (sending pieces, re-syncing), `_chunks.ts`,
 * `_meter.ts` and `_check.ts` (the checks on the bytes sent, through the
 * one content verifier).
 *
 * - Monolithic (the default): files, `Blob`s and bytes without a known
 *   digest are hashed first (so that an existing blob is skipped); a stream
 *   without one is sent in one `PATCH`, hashed on the way, and closed with
 *   `PUT ?digest=`. Blobs of at most 64 KiB in memory go in a single
 *   `POST ?digest=`; a registry that opens a session instead (202) or
 *   refuses it gets the ordinary `PUT`.
 * - Chunked (`chunkSize`): `PATCH`es with `Content-Range`, at least the
 *   registry's `OCI-Chunk-Min-Length`, the last chunk in the closing `PUT`;
 *   a `201` on `PATCH` (ECR) is accepted.
 * - After a dropped connection, a 416 or a 5xx, the upload re-syncs with
 *   `GET <location>` and carries on from the registry's offset (files,
 *   bytes, chunks and functions that open a stream; a plain stream cannot
 *   be re-read). After a 401 (a token that expired or was revoked
 *   mid-upload; the auth layer renews it) it does the same, once per
 *   request; a second 401 is an `AuthenticationError`.
 * - The upload `Location` is used exactly as returned (relative or
 *   absolute, query kept). On failure or abort the session is cancelled
 *   with `DELETE <location>`.
 * - With `mountFrom`, a cross-repository mount is tried first.
 *
 * Memory stays bounded whatever the blob's size: files are streamed from
 * disk, chunks are held one at a time, and only small in-memory bodies are
 * buffered for replay.
 *
 * @module
 */

import { contentLength } from "../../http/_content_length.ts";
import { digestOf, DigestVerifier, parseDigest } from "../../ref/digest.ts";
import { isValidRepoName } from "../../ref/reference.ts";
import {
  DigestMismatchError,
  InvalidReferenceError,
  SizeMismatchError,
} from "../../errors.ts";
import { markTransfer } from "../../transport/_replay.ts";
import type { CallOptions, RepoHttp } from "../_repo_http.ts";
import { statBlob } from "../_blob_head.ts";
import type {
  BlobSource,
  BlobUploadOptions,
  BlobUploadResult,
  MountResult,
} from "../options.ts";
import {
  cancelSession,
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
  if (content.kind === "open") content.size ??= options.size;
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
          : content.kind === "open"
          ? await countStream(await content.open(), http.signal(call))
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
          ? await statBlob(http, digest, call, { missing: "undefined" })
          : undefined;
        return {
          digest,
          size: await sizeOfPresent(there?.size),
          mounted: true,
        };
      }
    } else if (digest !== undefined && !options.force) {
      const existing = await statBlob(http, digest, call, {
        missing: "undefined",
        attempted: `push blob ${digest} to "${http.name}" (existence check)`,
      });
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
        !(options.verified &&
          (content.kind === "stream" || content.kind === "open")),
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
 * The token asked for covers pull on `fromRepo` too (the auth layer reads
 * the scopes from the request).
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
      markTransfer(
        http.request(
          "GET",
          `${http.baseUrl}/v2/${fromRepo}/blobs/${digest}`,
          call,
        ),
      ),
      [200],
    );
    // DigestVerifier: the one ContentVerifier as a pass-through (no copies).
    const verified = (res.body ?? new Response(new Uint8Array(0)).body!)
      .pipeThrough(
        new DigestVerifier({
          digest,
          size: contentLength(res.headers),
          attempted: `verify ${source}`,
        }),
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
