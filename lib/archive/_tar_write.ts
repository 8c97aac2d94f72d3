// Private: writing a tar file atomically. The archive is written (by the
// package's tar writer, `../tar/writer.ts`) to a temporary file beside the
// destination, synced,
// and renamed over the destination only once it is whole: a failure, an
// abort or a crash never leaves a half-written archive under its name. The
// temporary names beside an archive carry their writer's pid and start
// time, so that a later run removes those of writers that are gone.

import { open, rename, rm } from "node:fs/promises";
import { basename } from "@std/path/posix/basename";
import { dirname } from "@std/path/posix/dirname";
import { join } from "@std/path/posix/join";
import { type TarWriteEntry, TarWriter } from "../tar/writer.ts";
import { StoreError } from "../errors.ts";
import { diskError, writeAll } from "../layout/_files.ts";
import { ownerTag, type RemovedFiles, removeStale } from "../layout/_stale.ts";

/** A file to put in the archive; its content is opened when its turn comes. */
export interface TarFile {
  /** The name in the archive. */
  path: string;
  /** The exact size of its content. */
  size: number;
  /** Opens its content (a stream that checks itself, for blobs). */
  open: () => Promise<ReadableStream<Uint8Array>> | ReadableStream<Uint8Array>;
}

/** The size of the buffer the archive is written from. */
const CHUNK = 1024 * 1024;

/** What a temporary name beside an archive is for. */
type Beside = "staging" | "tmp";

/**
 * A hidden name beside `path` for a temporary file or directory:
 * `.<name>.<what>-<pid>-<start>-<random>`.
 */
export function besidePath(path: string, what: Beside): string {
  return join(dirname(path), `.${basename(path)}.${what}-${ownerTag()}`);
}

/**
 * Removes the temporary files and staging directories beside the archive
 * `path` whose writers are gone (see `removeStaleLayoutFiles`).
 */
export function removeStaleBeside(path: string): Promise<RemovedFiles> {
  const prefixes = [".staging-", ".tmp-"].map((w) => `.${basename(path)}${w}`);
  return removeStale(dirname(path), (name) => {
    const prefix = prefixes.find((p) => name.startsWith(p));
    return prefix === undefined ? null : name.slice(prefix.length);
  });
}

/**
 * Writes a tar file of `directories` (first) and `files` (in order) to
 * `dest`, atomically: through a temporary file beside it, renamed into
 * place once complete and synced. On failure or abort the temporary file is
 * removed and `dest` is left as it was.
 */
export async function writeTarAtomically(
  dest: string,
  directories: string[],
  files: Iterable<TarFile> | AsyncIterable<TarFile>,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const { signal } = options;
  signal?.throwIfAborted();
  const temp = besidePath(dest, "tmp");
  const file = await open(temp, "wx", 0o644);
  let closed = false;
  const entries = async function* (): AsyncGenerator<TarWriteEntry> {
    for (const path of directories) {
      yield {
        header: {
          name: `${path.replace(/\/+$/, "")}/`,
          typeflag: "5",
          mode: 0o755,
        },
      };
    }
    for await (const f of files) {
      signal?.throwIfAborted();
      yield {
        header: { name: f.path, typeflag: "0", mode: 0o644, size: f.size },
        open: f.open,
      };
    }
  };
  // The writer reads each file's stream to its end (a blob's stream checks
  // its digest there) and closes the one it is reading when cancelled.
  const writer = new TarWriter(entries(), {
    ...(signal ? { signal } : {}),
    attempted: `write "${dest}"`,
    source: dest,
  });
  const onAbort = () => void writer.cancel(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    try {
      const buffer = new Uint8Array(CHUNK);
      for (;;) {
        const n = await writer.read(buffer);
        signal?.throwIfAborted();
        if (n === 0) break;
        await writeAll(file, buffer.subarray(0, n));
      }
    } catch (err) {
      signal?.throwIfAborted();
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    signal?.throwIfAborted();
    await file.sync();
    closed = true;
    await file.close();
    await rename(temp, dest);
  } catch (err) {
    await writer.cancel(err);
    if (!closed) await file.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw diskError(
      err,
      `write "${dest}"`,
      temp,
      (attempted, problem, options) =>
        new StoreError(attempted, problem, dest, options),
    );
  }
}
