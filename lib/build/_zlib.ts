// Private: gzip and gunzip for layers, through node:zlib (in Deno several
// times faster than CompressionStream and DecompressionStream, and its
// output is the same in Deno and Bun: vanilla zlib, header without name and
// with mtime 0). Both are driven by the reader: input is only written when
// output is wanted, one buffer at a time, and each write is awaited until
// zlib has consumed it, so the input buffer can be reused and memory stays
// flat whatever the size of the layer.

import { createGunzip, createGzip } from "node:zlib";
import type { Transform } from "node:stream";
import { ChunkReader } from "../content/_byte_reader.ts";

/** The default gzip level (zlib's default). */
export const DEFAULT_GZIP_LEVEL = 6;

/** The size of the input buffer reused between reads. */
const INPUT_SIZE = 256 * 1024;
/**
 * The size of zlib's output chunks (fresh buffers: zlib allocates them).
 * Small ones are collected sooner: pushing 512 MiB to a registry peaks at
 * 81 MiB RSS with 16 KiB chunks, 95 with 64 KiB, 103 with 128 KiB (Deno's
 * default V8 flags); speed is the same.
 */
const OUTPUT_SIZE = 16 * 1024;

/** Something that fills buffers: a tar writer, a file. */
export interface ByteSource {
  /** Fills up to `into.byteLength` bytes; 0 at the end. */
  read(into: Uint8Array): Promise<number>;
  /** Stops it (closes files). */
  cancel(reason?: unknown): Promise<void>;
}

/** Writes a chunk to a zlib stream and waits until it has been consumed. */
function write(z: Transform, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    z.write(chunk, (err) => err ? reject(err) : resolve());
  });
}

/** Ends a zlib stream and waits for its last output. */
function end(z: Transform): Promise<void> {
  return new Promise((resolve, reject) => {
    z.once("end", resolve);
    z.once("error", reject);
    z.end();
  });
}

/** A view of a node Buffer as a plain Uint8Array. */
function plain(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(
    chunk.buffer as ArrayBuffer,
    chunk.byteOffset,
    chunk.byteLength,
  );
}

/**
 * The gzip of what `source` yields, as a stream pulled by its reader;
 * `onInput` sees every uncompressed chunk (to hash it) before it is
 * compressed.
 */
export function gzipOf(
  source: ByteSource,
  onInput: (bytes: Uint8Array) => void,
  level: number = DEFAULT_GZIP_LEVEL,
): ReadableStream<Uint8Array> {
  const z = createGzip({ level, chunkSize: OUTPUT_SIZE });
  const input = new Uint8Array(INPUT_SIZE);
  let failure: unknown;
  let produced = 0;
  z.on("error", (err) => failure ??= err);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      z.on("data", (chunk: Uint8Array) => {
        produced++;
        controller.enqueue(plain(chunk));
      });
    },
    // A pull that enqueues nothing is not called again: write input until
    // zlib has given some output (it keeps up to its window to itself).
    async pull(controller) {
      const before = produced;
      while (produced === before) {
        const n = await source.read(input);
        if (n === 0) {
          await end(z);
          controller.close();
          return;
        }
        const view = input.subarray(0, n);
        onInput(view);
        await write(z, view);
        if (failure) throw failure;
      }
    },
    async cancel(reason) {
      z.destroy();
      await source.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Decompresses gzip fed chunk by chunk: `output` is called with each
 * decompressed chunk (a fresh buffer) before `write` resolves.
 */
export class Gunzip {
  #z = createGunzip({ chunkSize: OUTPUT_SIZE });
  #failure: unknown;

  constructor(output: (bytes: Uint8Array) => void) {
    this.#z.on("data", (chunk: Uint8Array) => {
      try {
        output(plain(chunk));
      } catch (err) {
        this.#failure ??= err;
      }
    });
    this.#z.on("error", (err) => this.#failure ??= err);
  }

  /** Decompresses the next compressed bytes. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.#failure) throw this.#failure;
    await write(this.#z, chunk);
    if (this.#failure) throw this.#failure;
  }

  /** Finishes: the last output is delivered; a truncated gzip fails. */
  async end(): Promise<void> {
    if (this.#failure) throw this.#failure;
    await end(this.#z);
    if (this.#failure) throw this.#failure;
  }

  /** Stops (after a failure elsewhere). */
  destroy(): void {
    this.#z.destroy();
  }
}

/**
 * The decompressed bytes of a gzip stream, pulled by its reader (each
 * compressed chunk is only read when output is wanted).
 */
export function gunzipOf(
  stream: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  const reader = new ChunkReader(stream);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let produced = 0;
  const gunzip = new Gunzip((bytes) => {
    produced++;
    controller.enqueue(bytes);
  });
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    // As in gzipOf: write input until there is output.
    async pull(c) {
      const before = produced;
      while (produced === before) {
        const chunk = await reader.next();
        if (chunk === undefined) {
          await gunzip.end();
          c.close();
          return;
        }
        await gunzip.write(chunk);
      }
    },
    async cancel(reason) {
      gunzip.destroy();
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
