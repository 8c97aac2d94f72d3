// Private: the file operations an OCI layout is made of, on `node:fs` (which
// Deno, Node and Bun all have): a file read as a stream verified against its
// digest, a file written whole through a temporary file and a rename (or
// created only if absent, through a hard link), temporary names a later run
// can recognise as stale, and telling "no such file" and "disk full" from
// other failures.

import { link, rename, rm, writeFile } from "node:fs/promises";
import { openReadHandle, type ReadHandle } from "./_read_handle.ts";
export { writeAll } from "./_read_handle.ts";
import { join } from "@std/path/posix/join";
import { ContentVerifier, markVerified } from "../content/verify.ts";
import type { StoreErrorCode } from "../errors.ts";
import { ownerTag } from "./_stale.ts";

/** The size of the buffers a default reader of a file stream gets. */
export const FILE_CHUNK = 64 * 1024;

/** How many bytes a file stream reads at a time (see `verifiedFileStream`). */
export const READ_AHEAD = 256 * 1024;

/** The prefix of every temporary name in a layout's root. */
export const TEMP_PREFIX = ".tmp-";

/** The `code` of a file-system error, if any. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether a file-system error means the path does not exist. */
export function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === "ENOENT" || code === "ENOTDIR" ||
    (typeof Deno !== "undefined" && err instanceof Deno.errors.NotFound);
}

/** Whether a file-system error means the disk (or a quota) is full. */
export function isNoSpace(err: unknown): boolean {
  const code = errorCode(err);
  return code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG";
}

/** Builds a store's error (an `OciLayoutError`, a `StoreError`). */
export type DiskErrorFactory = (
  attempted: string,
  problem: string,
  options: { cause: unknown; code?: StoreErrorCode },
) => Error;

/**
 * A write that failed because the disk is full, as a typed error naming
 * the file; any other error as it is.
 */
export function diskError(
  err: unknown,
  attempted: string,
  path: string,
  make: DiskErrorFactory,
): unknown {
  if (!isNoSpace(err)) return err;
  return make(
    attempted,
    `no space left on the device while writing "${path}" (${
      errorCode(err)
    }); the partial file was removed`,
    { cause: err, code: "NO_SPACE" },
  );
}

/**
 * A fresh temporary file name in `dir` for `what`:
 * `.tmp-<pid>-<start>-<random>-<what>`, so that a later run can tell
 * whether its writer is still running.
 */
export function tempPath(dir: string, what: string): string {
  return join(dir, `${TEMP_PREFIX}${ownerTag()}-${what}`);
}

/** Writes `dir/name` whole, through a temporary file and a rename. */
export async function atomicWrite(
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<void> {
  const temp = tempPath(dir, name);
  try {
    await writeFile(temp, bytes, { mode: 0o644, flag: "wx" });
    await rename(temp, join(dir, name));
  } catch (err) {
    await rm(temp, { force: true }).catch(() => {});
    throw err;
  }
}

/**
 * Creates `dir/name` whole unless it exists: written to a temporary file,
 * then hard-linked into place, which fails if the name is taken (where hard
 * links are not supported, an exclusive create). A reader never sees it
 * half-written; a file already there is never replaced.
 *
 * @returns `true` when it was created, `false` when it was there.
 */
export async function createExclusive(
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<boolean> {
  const final = join(dir, name);
  const temp = tempPath(dir, name);
  try {
    await writeFile(temp, bytes, { mode: 0o644, flag: "wx" });
    try {
      await link(temp, final);
      return true;
    } catch (err) {
      if (errorCode(err) === "EEXIST") return false;
      const code = errorCode(err);
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") {
        throw err;
      }
    }
    try {
      await writeFile(final, bytes, { mode: 0o644, flag: "wx" });
      return true;
    } catch (err) {
      if (errorCode(err) === "EEXIST") return false;
      throw err;
    }
  } finally {
    await rm(temp, { force: true }).catch(() => {});
  }
}

/**
 * An open file as a byte stream checked against a digest (and size) while
 * it is read; BYOB readers get the bytes in their own buffers. The file is
 * closed at the end, on error and on cancel. The stream is marked verified.
 *
 * The file is read {@linkcode READ_AHEAD} bytes at a time into one buffer
 * of the stream's own, and readers are served from it: a default reader
 * (fetch sending an upload) asks for {@linkcode FILE_CHUNK}-byte chunks,
 * which must be fresh buffers (fetch keeps them until they are on the
 * wire) and small (V8 frees them late), while reading the file in chunks
 * that small costs four times the reads. A reader asking for at least
 * `READ_AHEAD` bytes gets them read straight into its buffer.
 */
export function verifiedFileStream(
  file: ReadHandle,
  options: {
    digest: string;
    size?: number;
    attempted: string;
    signal?: AbortSignal;
    /** Where to start reading (the file's first bytes may be a tar header). */
    start?: number;
    /** How many bytes to read from `start` (the whole rest by default). */
    length?: number;
  },
): ReadableStream<Uint8Array> {
  const { signal } = options;
  const verifier = new ContentVerifier(options);
  let position = options.start ?? 0;
  const end = options.length === undefined
    ? Number.POSITIVE_INFINITY
    : position + options.length;
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await file.close().catch(() => {});
    }
  };
  /** Reads (and verifies) up to `into.byteLength` next bytes; 0 at the end. */
  const readNext = async (into: Uint8Array): Promise<number> => {
    const want = Math.min(into.byteLength, end - position);
    if (want <= 0) return 0;
    const { bytesRead } = await file.read(into, 0, want, position);
    position += bytesRead;
    verifier.update(into.subarray(0, bytesRead));
    return bytesRead;
  };
  // Bytes read ahead and not yet handed out: `ahead[from, to)`.
  let ahead: Uint8Array | undefined;
  let from = 0;
  let to = 0;
  const stream = new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: FILE_CHUNK,
    async pull(controller) {
      try {
        signal?.throwIfAborted();
        const request = controller.byobRequest!;
        const view = request.view!;
        const into = new Uint8Array(
          view.buffer,
          view.byteOffset,
          view.byteLength,
        );
        let n: number;
        if (from < to) {
          n = Math.min(into.byteLength, to - from);
          into.set(ahead!.subarray(from, from + n));
          from += n;
        } else if (into.byteLength >= READ_AHEAD) {
          n = await readNext(into);
        } else {
          ahead ??= new Uint8Array(READ_AHEAD);
          to = await readNext(ahead);
          n = Math.min(into.byteLength, to);
          into.set(ahead.subarray(0, n));
          from = n;
        }
        if (n === 0) {
          ahead = undefined;
          await close();
          verifier.finish();
          controller.close();
          request.respond(0);
          return;
        }
        request.respond(n);
      } catch (err) {
        ahead = undefined;
        await close();
        throw err;
      }
    },
    cancel() {
      ahead = undefined;
      return close();
    },
  });
  return markVerified(stream, verifier.digest);
}

/** Opens a file for reading (the path given by the user: links followed). */
export function openRead(path: string): Promise<ReadHandle> {
  return openReadHandle(path);
}
