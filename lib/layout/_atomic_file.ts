// Private: writing one file whole or not at all, and the temporary names
// beside it. Content goes to a hidden temporary file beside the target,
// `.<name>.tmp-<pid>-<start>-<random>`, that is renamed over the target
// once complete (and synced): a failure, an abort or a crash never leaves
// a half-written file under the target's name. The temporary name carries
// its writer's pid and start time (`./_stale.ts`), so the next write to the
// same place removes those whose writers are gone (killed, crashed).
//
// Used for archives (`../archive/_tar_write.ts`; their staging directories
// are named beside them the same way), downloaded blobs, credential files,
// and the files of `dreg blob get` and `dreg export`.

import { chmod, open, rename, rm } from "node:fs/promises";
import { basename } from "@std/path/posix/basename";
import { dirname } from "@std/path/posix/dirname";
import { join } from "@std/path/posix/join";
import { osName } from "../_runtime.ts";
import { ChunkReader } from "../content/_byte_reader.ts";
import { writeAll } from "./_files.ts";
import { ownerTag, type RemovedFiles, removeStale } from "./_stale.ts";

/** What a temporary name beside a file is for. */
export type Beside = "staging" | "tmp";

const BESIDE: readonly Beside[] = ["staging", "tmp"];

/**
 * A hidden name beside `path` for a temporary file or directory:
 * `.<name>.<what>-<pid>-<start>-<random>`.
 */
export function besidePath(path: string, what: Beside): string {
  return join(dirname(path), `.${basename(path)}.${what}-${ownerTag()}`);
}

/**
 * Removes the temporary files and staging directories beside `path`
 * whose writers are gone; those of writers still running stay.
 */
export function removeStaleBeside(path: string): Promise<RemovedFiles> {
  const prefixes = BESIDE.map((w) => `.${basename(path)}.${w}-`);
  return removeStale(dirname(path), (name) => {
    const prefix = prefixes.find((p) => name.startsWith(p));
    return prefix === undefined ? null : name.slice(prefix.length);
  });
}

/**
 * What {@linkcode writeFileAtomically} writes: a stream, bytes, or chunks
 * (each only needs to stay valid until the next is asked for, so a reader
 * may reuse one buffer).
 */
export type AtomicContent =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Uint8Array;

/** Options of {@linkcode writeFileAtomically}. */
export interface AtomicWriteOptions {
  /** Stops the write (the temporary file is removed). */
  signal?: AbortSignal;
  /**
   * The file's mode, set exactly (not masked by the umask) except on
   * Windows; 0o644 (masked) when absent.
   */
  mode?: number;
  /** Sync the file to disk before it is renamed into place. @default {true} */
  sync?: boolean;
  /**
   * Turns a failure into the error thrown, given the file being written
   * (the temporary file, once made): a full disk as a store's typed error.
   */
  error?: (err: unknown, path: string) => unknown;
}

/** The chunks of the content, and how to stop its source. */
function chunksOf(
  content: AtomicContent,
): {
  chunks: AsyncIterator<Uint8Array>;
  cancel(reason: unknown): Promise<void>;
} {
  if (content instanceof Uint8Array) {
    const chunks = [content][Symbol.iterator]();
    return {
      chunks: { next: () => Promise.resolve(chunks.next()) },
      cancel: () => Promise.resolve(),
    };
  }
  if (content instanceof ReadableStream) {
    const reader = new ChunkReader(content);
    return {
      chunks: {
        async next() {
          const value = await reader.next();
          return value === undefined
            ? { done: true, value: undefined }
            : { done: false, value };
        },
      },
      cancel: (reason) => reader.cancel(reason),
    };
  }
  const chunks = content[Symbol.asyncIterator]();
  return {
    chunks,
    cancel: async (reason) => {
      try {
        await chunks.return?.(reason);
      } catch {
        // The source failed already.
      }
    },
  };
}

/**
 * Writes `content` to `path` whole or not at all: into a temporary file
 * beside it (`.<name>.tmp-<owner>`), synced and renamed over `path` once
 * complete. On failure or abort the temporary file is removed, the source
 * cancelled, and `path` left as it was. Temporary files beside `path` that
 * writers which are gone left are removed first.
 *
 * @returns The number of bytes written.
 */
export async function writeFileAtomically(
  path: string,
  content: AtomicContent,
  options: AtomicWriteOptions = {},
): Promise<number> {
  const { signal } = options;
  const source = chunksOf(content);
  let temp: string | undefined;
  let file: Awaited<ReturnType<typeof open>> | undefined;
  let written = 0;
  try {
    signal?.throwIfAborted();
    await removeStaleBeside(path);
    temp = besidePath(path, "tmp");
    file = await open(temp, "wx", options.mode ?? 0o644);
    for (;;) {
      const { done, value } = await source.chunks.next();
      signal?.throwIfAborted();
      if (done) break;
      await writeAll(file, value);
      written += value.byteLength;
    }
    if (options.sync ?? true) await file.sync();
    const handle = file;
    file = undefined;
    await handle.close();
    if (options.mode !== undefined && osName() !== "windows") {
      await chmod(temp, options.mode);
    }
    await rename(temp, path);
    return written;
  } catch (err) {
    await source.cancel(err);
    await file?.close().catch(() => {});
    if (temp !== undefined) await rm(temp, { force: true }).catch(() => {});
    throw options.error ? options.error(err, temp ?? path) : err;
  }
}
