// Private: writing one blob into a layout — through a temporary file that
// is renamed to `blobs/<alg>/<hex>` only once its digest and size check out
// (content a store already verified is only counted), so a blob file is
// always complete and correct. The temporary file is named after this
// process (a later run removes it if the process dies), is created
// exclusively, and is removed on any failure (a full disk included, then
// reported as such); `blobs/` and `blobs/<alg>/` are checked not to be links
// before the rename.

import { mkdir, rename, rm } from "node:fs/promises";
import { createWriteHandle } from "./_read_handle.ts";
import { CHUNK_SIZE, ChunkReader } from "../content/_byte_reader.ts";
import { ContentVerifier, isVerified } from "../content/verify.ts";
import { DigestHasher, parseDigest } from "../ref/digest.ts";
import { SizeMismatchError } from "../errors.ts";
import { diskError, type DiskErrorFactory, tempPath } from "./_files.ts";
import { checkDirs, type UnsafePathFactory } from "./_paths.ts";

/** What {@linkcode writeBlobFile} is told of the content. */
export interface BlobFileOptions {
  /** The digest it was given with, if any (else bytes were hashed by the caller). */
  digest?: string;
  /** The size it must have. */
  size?: number;
  /** Cancels the write; the temporary file is removed. */
  signal?: AbortSignal;
  /** The stream checks itself against the digest. */
  verified?: boolean;
  /** Called with the number of bytes written. */
  onBytes?: (bytes: number) => void;
}

/** How the layout builds its errors. */
export interface BlobFileErrors {
  /** For a directory that may not be followed. */
  unsafe: UnsafePathFactory;
  /** For a full disk. */
  make: DiskErrorFactory;
}

/**
 * Writes `source` as a blob of the layout at `dir`; `digest` is the digest
 * it must have (computed here when undefined).
 */
export async function writeBlobFile(
  dir: string,
  blobPath: (digest: string) => string,
  source: ReadableStream<Uint8Array> | Uint8Array,
  digest: string | undefined,
  options: BlobFileOptions,
  errors: BlobFileErrors,
): Promise<{ digest: string; size: number; path: string; existed: false }> {
  const { signal } = options;
  const attempted = `write blob ${
    digest ?? "(digest unknown)"
  } to OCI layout "${dir}"`;
  const selfChecked = digest !== undefined &&
    (source instanceof Uint8Array
      ? options.digest === undefined
      : options.verified === true || isVerified(source, digest));
  // Content already checked is only counted (for the size check).
  const counter = { bytes: 0 };
  const verifier = digest !== undefined && !selfChecked
    ? new ContentVerifier({ digest, size: options.size, attempted })
    : undefined;
  const hashUnknown = digest === undefined ? new DigestHasher() : undefined;
  const reader = source instanceof Uint8Array
    ? undefined
    : new ChunkReader(source);
  const onAbort = () => reader?.cancel(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const temp = tempPath(dir, "blob");
  try {
    const file = await createWriteHandle(temp);
    try {
      const write = async (chunk: Uint8Array) => {
        const total = counter.bytes + chunk.byteLength;
        if (options.size !== undefined && total > options.size) {
          throw new SizeMismatchError(attempted, options.size, total);
        }
        verifier?.update(chunk);
        hashUnknown?.update(chunk);
        counter.bytes = total;
        await file.writeAll(chunk);
        options.onBytes?.(chunk.byteLength);
      };
      if (source instanceof Uint8Array) await write(source);
      else {
        for (;;) {
          const chunk = await reader!.next(CHUNK_SIZE);
          signal?.throwIfAborted();
          if (chunk === undefined) break;
          await write(chunk);
        }
      }
    } finally {
      await file.close();
    }
    const size = counter.bytes;
    if (options.size !== undefined && size !== options.size) {
      throw new SizeMismatchError(attempted, options.size, size);
    }
    verifier?.finish();
    const final = digest ?? hashUnknown!.digest();
    const path = blobPath(final);
    const dirs = ["blobs", parseDigest(final).algorithm];
    // mkdir follows a link it is given: check first, and after.
    if (!(await checkDirs(dir, dirs, errors.unsafe))) {
      await mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await checkDirs(dir, dirs, errors.unsafe);
    }
    await rename(temp, path);
    return { digest: final, size, path, existed: false };
  } catch (err) {
    await reader?.cancel(err);
    await rm(temp, { force: true }).catch(() => {});
    throw diskError(err, attempted, temp, errors.make);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
