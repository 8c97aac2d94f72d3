/**
 * Blobs by digest (`/v2/<name>/blobs/<digest>`): existence and size
 * (`HEAD`), verified reads, downloads to a file, deletes.
 *
 * Reads are checked against the digest (and the size, from the descriptor
 * or `Content-Length`) while they stream, through the one content verifier
 * (`../content/verify.ts`): a mismatch errors the stream at its end, or as
 * soon as too many bytes come. A redirect to storage is followed without
 * `Authorization` (the transport's redirect layer). A dropped connection
 * resumes with `Range: bytes=<offset>-` (`_resumable_body.ts`), up to
 * `maxResumes` times. Hashing (`node:crypto`) is loaded on the first read,
 * not when the client is created.
 *
 * Uploads and mounts live in `uploads/` (loaded on first use; the
 * functions here hand over to them); they ask whether a blob is there
 * through `statBlob` (`_blob_head.ts`), the one `HEAD` of a blob.
 *
 * @module
 */

import { contentLength } from "../http/_content_length.ts";
import { redactUrl } from "../http/_redact.ts";
import { parseDigest } from "../ref/_digest_core.ts";
import { InvalidResponseError } from "../errors.ts";
import { markTransfer } from "../transport/_replay.ts";
import { type CallOptions, refSuffix } from "./_repo_http.ts";
import { statBlob } from "./_blob_head.ts";
import type { RepoContext } from "./_context.ts";
import type { VerifiedBlobReader } from "./_resumable_body.ts";
import { chunkSizeFor } from "../registries.ts";
import type {
  BlobHead,
  BlobReadOptions,
  BlobReadStream,
  BlobSource,
  BlobUploadOptions,
  BlobUploadResult,
  MountResult,
} from "./options.ts";

/**
 * A blob's size and media type; the size is required.
 *
 * @internal Plumbing of `RegistryClientV2.headBlob`.
 * @param ctx The client's shared state.
 * @param digest The blob's digest.
 * @param options Cancellation.
 * @returns `{digest, size, mediaType?}`.
 * @throws {NotFoundError} When the blob is not in the repository.
 * @throws {InvalidResponseError} When the answer has no valid `Content-Length`.
 */
export async function headBlob(
  ctx: RepoContext,
  digest: string,
  options: CallOptions,
): Promise<BlobHead> {
  const attempted = `head blob "${ctx.http.name}@${digest}"`;
  const stat = await statBlob(ctx.http, digest, options, { attempted });
  if (stat?.size === undefined) {
    throw new InvalidResponseError(
      attempted,
      "the answer has no valid Content-Length",
    );
  }
  return { digest, ...stat } as BlobHead;
}

/**
 * Whether the repository has a blob (404 means no).
 *
 * @internal Plumbing of `RegistryClientV2.hasBlob`.
 * @param ctx The client's shared state.
 * @param digest The blob's digest.
 * @param options Cancellation.
 * @returns `true` when the blob is there.
 * @throws {HttpError} On any failure but 404.
 */
export async function hasBlob(
  ctx: RepoContext,
  digest: string,
  options: CallOptions,
): Promise<boolean> {
  const stat = await statBlob(ctx.http, digest, options, {
    missing: "undefined",
  });
  return stat !== undefined;
}

/** A blob opened for reading: the first response and its verified reader. */
interface OpenedBlob {
  res: Response;
  url: string;
  size: number | undefined;
  reader: VerifiedBlobReader;
}

/** GETs a blob and wraps its body in a resuming, verifying reader. */
async function openBlob(
  ctx: RepoContext,
  digest: string,
  options: BlobReadOptions,
): Promise<OpenedBlob> {
  const { http } = ctx;
  parseDigest(digest);
  if (
    options.size !== undefined &&
    (!Number.isSafeInteger(options.size) || options.size < 0)
  ) {
    throw new RangeError(
      `BlobReadOptions.size must be a non-negative integer, got ${options.size}`,
    );
  }
  const attempted = `get blob "${http.name}@${digest}"`;
  const url = http.url(`blobs/${digest}`);
  const res = await http.send(
    attempted,
    markTransfer(http.request("GET", url, options)),
    [200],
  );
  const size = options.size ?? contentLength(res.headers);
  let reader: VerifiedBlobReader;
  try {
    const { VerifiedBlobReader } = await import("./_resumable_body.ts");
    reader = new VerifiedBlobReader(
      res.body ?? new Response(new Uint8Array(0)).body!,
      {
        digest,
        size,
        attempted: `verify blob "${http.name}@${digest}"`,
        maxResumes: options.maxResumes ?? ctx.options.maxResumes ?? 3,
        signal: http.signal(options),
        refetch: (offset, cancelled) =>
          http.send(
            attempted,
            markTransfer(
              http.request("GET", url, {
                signal: options.signal
                  ? AbortSignal.any([options.signal, cancelled])
                  : cancelled,
              }, {
                headers: { range: `bytes=${offset}-` },
              }),
            ),
            [200, 206],
          ),
      },
    );
  } catch (err) {
    await res.body?.cancel().catch(() => {});
    throw err;
  }
  return { res, url, size, reader };
}

/**
 * A blob as a stream verified while it streams, marked as verified
 * (`isVerified`) so that a store it is pushed into does not hash it again.
 *
 * @internal Plumbing of `RegistryClientV2.createBlobReadStream`.
 * @param ctx The client's shared state.
 * @param digest The blob's digest.
 * @param options The expected size, resume bound and cancellation.
 * @returns The verified stream and the response metadata.
 * @throws {NotFoundError} When the blob is not there.
 * @throws {RangeError} When `options.size` is not a size.
 */
export async function createBlobReadStream(
  ctx: RepoContext,
  digest: string,
  options: BlobReadOptions,
): Promise<BlobReadStream> {
  const { res, url, size, reader } = await openBlob(ctx, digest, options);
  const contentType = res.headers.get("content-type") ?? undefined;
  const { verifiedBlobStream } = await import("./_resumable_body.ts");
  return {
    stream: verifiedBlobStream(reader),
    digest,
    ...(size !== undefined ? { size } : {}),
    ...(contentType ? { contentType } : {}),
    headers: res.headers,
    url: redactUrl(res.url || url),
  };
}

/**
 * Downloads a blob to a temporary file beside `path`
 * (`.<name>.tmp-<pid>-<start>-<random>`), renamed into place once
 * verified: a failed download leaves no file behind, and one that was
 * killed leaves a file the next download to `path` removes.
 *
 * @internal Plumbing of `RegistryClientV2.downloadBlob`.
 * @param ctx The client's shared state.
 * @param digest The blob's digest.
 * @param path The file to write.
 * @param options The expected size, resume bound and cancellation.
 * @returns The digest, the size written and the path.
 * @throws {DigestMismatchError} When the content does not match.
 */
export async function downloadBlob(
  ctx: RepoContext,
  digest: string,
  path: string,
  options: BlobReadOptions,
): Promise<{ digest: string; size: number; path: string }> {
  const { reader } = await openBlob(ctx, digest, options);
  const { READ_CHUNK } = await import("./_resumable_body.ts");
  // Loaded here, not at start-up: Deno loads its Node layer for node:fs.
  const { writeFileAtomically } = await import("../layout/_atomic_file.ts");
  const buffer = new Uint8Array(READ_CHUNK);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let n; (n = await reader.read(buffer)) > 0;) {
      yield buffer.subarray(0, n);
    }
  }
  let size: number;
  try {
    // The download is verified as it is read; syncing each blob to disk is
    // left to the caller (as for any file written).
    size = await writeFileAtomically(path, chunks(), { sync: false });
  } catch (err) {
    await reader.cancel();
    throw err;
  }
  return { digest, size, path };
}

/**
 * Deletes a blob (`DELETE /v2/<name>/blobs/<digest>`). Registries usually
 * need deletes enabled (distribution: `storage.delete.enabled`).
 *
 * @internal Plumbing of `RegistryClientV2.deleteBlob`.
 * @param ctx The client's shared state.
 * @param digest The blob's digest.
 * @param options Cancellation.
 * @returns When the registry has accepted the delete.
 * @throws {NotFoundError} When the blob is not there.
 */
export async function deleteBlob(
  ctx: RepoContext,
  digest: string,
  options: CallOptions,
): Promise<void> {
  const { http } = ctx;
  parseDigest(digest);
  const res = await http.send(
    `delete blob "${http.name}${refSuffix(digest)}"`,
    http.request("DELETE", http.url(`blobs/${digest}`), options),
    [200, 202, 204],
  );
  await res.body?.cancel();
}

/**
 * Uploads a blob (see `uploads/blob_upload.ts`, loaded on first use), in
 * chunks no larger than the registry takes.
 *
 * @internal Plumbing of `RegistryClientV2.blobUpload`.
 * @param ctx The client's shared state.
 * @param source A file path or `file:` URL, bytes, a `Blob`, or a stream.
 * @param options Digest, size, chunking, mount source, progress, cancellation.
 * @returns The digest and size; `skipped` or `mounted` when nothing was sent.
 * @throws {DigestMismatchError} When the content does not match `digest`.
 */
export async function uploadBlob(
  ctx: RepoContext,
  source: BlobSource,
  options: BlobUploadOptions,
): Promise<BlobUploadResult> {
  const { uploadBlob } = await import("./uploads/blob_upload.ts");
  const chunkSize = chunkSizeFor(ctx.repo.index.name, options.chunkSize);
  return await uploadBlob(ctx.http, source, { ...options, chunkSize });
}

/**
 * Mounts a blob from another repository, or copies it through the upload
 * the registry opens instead (see `uploads/blob_upload.ts`).
 *
 * @internal Plumbing of `RegistryClientV2.mountBlob`.
 * @param ctx The client's shared state.
 * @param digest The blob's digest.
 * @param fromRepo The source repository's name on this registry.
 * @param options Cancellation.
 * @returns The digest and whether the registry mounted it.
 * @throws {NotFoundError} When the copy is needed and the source lacks the blob.
 */
export async function mountBlob(
  ctx: RepoContext,
  digest: string,
  fromRepo: string,
  options: CallOptions,
): Promise<MountResult> {
  const { mountBlob } = await import("./uploads/blob_upload.ts");
  return await mountBlob(ctx.http, digest, fromRepo, options);
}
