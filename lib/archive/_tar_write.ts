// Private: writing a tar file atomically. The archive is written (by the
// package's tar writer, `../tar/writer.ts`) through the one atomic file
// writer (`../layout/_atomic_file.ts`): to a temporary file beside the
// destination, synced, and renamed over the destination only once it is
// whole: a failure, an abort or a crash never leaves a half-written archive
// under its name. The temporary names beside an archive carry their
// writer's pid and start time, so that a later run removes those of
// writers that are gone.

import { type TarWriteEntry, TarWriter } from "../tar/writer.ts";
import { StoreError } from "../errors.ts";
import { diskError } from "../layout/_files.ts";
import { writeFileAtomically } from "../layout/_atomic_file.ts";

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
  const buffer = new Uint8Array(CHUNK);
  const chunks = async function* (): AsyncGenerator<Uint8Array> {
    for (;;) {
      let n: number;
      try {
        n = await writer.read(buffer);
      } catch (err) {
        signal?.throwIfAborted();
        throw err;
      }
      if (n === 0) return;
      yield buffer.subarray(0, n);
    }
  };
  try {
    await writeFileAtomically(dest, chunks(), {
      ...(signal ? { signal } : {}),
      error: (err, path) =>
        diskError(
          err,
          `write "${dest}"`,
          path,
          (attempted, problem, options) =>
            new StoreError(attempted, problem, dest, options),
        ),
    });
  } catch (err) {
    await writer.cancel(err);
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
