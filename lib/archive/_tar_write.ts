// Private: writing a tar file atomically. The archive is written (by
// `@std/tar`'s TarStream) to a temporary file beside the destination, synced,
// and renamed over the destination only once it is whole: a failure, an
// abort or a crash never leaves a half-written archive under its name.

import { open, rename, rm } from "node:fs/promises";
import { basename } from "@std/path/posix/basename";
import { dirname } from "@std/path/posix/dirname";
import { join } from "@std/path/posix/join";
import { TarStream, type TarStreamInput } from "@std/tar/tar-stream";
import { ChunkReader } from "../content/_byte_reader.ts";
import { writeAll } from "../layout/_files.ts";

/** A file to put in the archive; its content is opened when its turn comes. */
export interface TarFile {
  /** The name in the archive. */
  path: string;
  /** The exact size of its content. */
  size: number;
  /** Opens its content (a stream that checks itself, for blobs). */
  open: () => Promise<ReadableStream<Uint8Array>> | ReadableStream<Uint8Array>;
}

/** The size of the buffer the archive is read from TarStream into. */
const CHUNK = 1024 * 1024;

/**
 * A byte stream reading `source`, whose reader is kept in `active` until it
 * ends: TarStream has no way to cancel the file it is reading when the
 * archive's reader is cancelled, so the writer cancels them itself (a file
 * stream then closes its file).
 */
function tracked(
  source: ReadableStream<Uint8Array>,
  active: Set<ChunkReader>,
): ReadableStream<Uint8Array> {
  const reader = new ChunkReader(source);
  active.add(reader);
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: 256 * 1024,
    async pull(controller) {
      const request = controller.byobRequest!;
      const view = request.view!;
      const n = await reader.read(
        new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
      );
      if (n === 0) {
        active.delete(reader);
        controller.close();
        request.respond(0);
        return;
      }
      request.respond(n);
    },
    cancel(reason) {
      active.delete(reader);
      return reader.cancel(reason);
    },
  });
}

/** A hidden name beside `path` for a temporary file or directory. */
export function besidePath(path: string, what: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${what}-${crypto.randomUUID().slice(0, 8)}`,
  );
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
  const active = new Set<ChunkReader>();
  try {
    const inputs = async function* (): AsyncGenerator<TarStreamInput> {
      for (const path of directories) {
        yield { type: "directory", path, options: { mtime: 0 } };
      }
      for await (const f of files) {
        signal?.throwIfAborted();
        yield {
          type: "file",
          path: f.path,
          size: f.size,
          readable: tracked(await f.open(), active),
          options: { mtime: 0 },
        };
      }
    };
    const reader = ReadableStream.from(inputs())
      .pipeThrough(new TarStream())
      .getReader({ mode: "byob" });
    const onAbort = () => reader.cancel(signal?.reason).catch(() => {});
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let buffer = new Uint8Array(CHUNK);
      for (;;) {
        // TarStream writes headers into the buffer it is given and leaves
        // unused fields as they are: the buffer must be zeroed.
        const { done, value } = await reader.read(buffer.fill(0));
        signal?.throwIfAborted();
        if (value === undefined) break;
        if (value.byteLength) await writeAll(file, value);
        if (done) break;
        buffer = new Uint8Array(value.buffer);
      }
    } catch (err) {
      await reader.cancel(err).catch(() => {});
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
    for (const reader of active) await reader.cancel(err);
    if (!closed) await file.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw err;
  }
}
