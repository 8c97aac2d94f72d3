/**
 * One-file tar archives (written by `@std/tar`'s `TarStream`) and random
 * bytes, for building image layers that are real gzip'ed tars. Private test
 * support: not re-exported.
 *
 * @module
 */

import { TarStream, type TarStreamInput } from "@std/tar/tar-stream";

/** Chunk size of {@linkcode tarFile} and {@linkcode randomStream}. */
const CHUNK = 1024 * 1024;

/**
 * A ustar archive of one regular file of `size` bytes read from `content`.
 * The metadata is fixed (mode 0644, uid and gid 0, mtime 0), so the same
 * content always gives the same archive.
 *
 * The archive is read from `TarStream` in chunks of up to 1 MiB: read with a
 * default reader it would come in 512-byte chunks, 14 times slower.
 *
 * @param path The file's name in the archive (at most 256 bytes).
 * @param size The exact number of bytes `content` holds.
 * @param content The file's bytes.
 * @returns The archive's bytes, trailer included.
 *
 * @example A layer of random bytes
 * ```ts
 * const tar = tarFile("a.bin", 1024, randomStream(1024));
 * const bytes = await new Response(tar).bytes(); // 3072 bytes
 * ```
 */
export function tarFile(
  path: string,
  size: number,
  content: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  const input: TarStreamInput = {
    type: "file",
    path,
    size,
    readable: content,
    options: { mtime: 0 },
  };
  const reader = ReadableStream.from([input])
    .pipeThrough(new TarStream())
    .getReader({ mode: "byob" });
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read(new Uint8Array(CHUNK));
      if (value !== undefined && value.byteLength > 0) {
        controller.enqueue(value);
      }
      if (done) controller.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * A one-file ustar archive of `content`, whole (see {@linkcode tarFile}).
 *
 * @example
 * ```ts
 * const tar = await tarOf("hello.txt", new TextEncoder().encode("hello"));
 * ```
 */
export function tarOf(
  path: string,
  content: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const tar = tarFile(path, content.byteLength, ReadableStream.from([content]));
  return new Response(tar).bytes();
}

/**
 * `size` random bytes, in chunks of up to 1 MiB made as they are read.
 *
 * @example
 * ```ts
 * const bytes = await new Response(randomStream(100)).bytes();
 * ```
 */
export function randomStream(
  size: number,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  let left = size;
  return new ReadableStream({
    pull(controller) {
      if (left <= 0) return controller.close();
      const chunk = new Uint8Array(Math.min(CHUNK, left));
      fillRandom(chunk);
      left -= chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

/** Fills a buffer with random bytes (getRandomValues takes 64 KiB at most). */
export function fillRandom(buffer: Uint8Array): void {
  for (let o = 0; o < buffer.length; o += 65536) {
    crypto.getRandomValues(
      buffer.subarray(o, Math.min(buffer.length, o + 65536)),
    );
  }
}
