// Private: content read in chunks of one size for a chunked upload, one
// buffer reused throughout (bytes: views of the bytes, no copies).

import { open } from "node:fs/promises";
import { type Content, openAt } from "./_source.ts";

/**
 * Reads content in chunks of one size, telling which chunk is the last.
 * Chunks are views of one reused buffer (bytes: views of the bytes, no
 * copies): a chunk is valid until the next call.
 */
export interface Chunker {
  next(): Promise<{ chunk: Uint8Array; last: boolean }>;
  close(reason?: unknown): Promise<void>;
}

/** Opens content for reading in chunks of `size` bytes. */
export async function openChunker(
  content: Content,
  size: number,
): Promise<Chunker> {
  switch (content.kind) {
    case "bytes": {
      let offset = 0;
      return {
        next() {
          const chunk = content.bytes.subarray(offset, offset + size);
          offset += chunk.byteLength;
          return Promise.resolve({
            chunk,
            last: offset >= content.bytes.byteLength,
          });
        },
        close: () => Promise.resolve(),
      };
    }
    case "file": {
      const file = await open(content.path, "r");
      const buffer = new Uint8Array(size);
      let position = 0;
      let closed = false;
      return {
        async next() {
          let filled = 0;
          while (filled < size) {
            const { bytesRead } = await file.read(
              buffer,
              filled,
              size - filled,
            );
            if (bytesRead === 0) break;
            filled += bytesRead;
          }
          position += filled;
          return {
            chunk: buffer.subarray(0, filled),
            last: filled < size || position >= content.size,
          };
        },
        async close() {
          if (closed) return;
          closed = true;
          await file.close();
        },
      };
    }
    default:
      return new StreamChunker(await openAt(content, 0), size);
  }
}

/** A stream read in chunks, copied into one reused buffer, one piece read ahead. */
class StreamChunker implements Chunker {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #buffer: Uint8Array;
  #pending: Uint8Array | undefined;
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>, size: number) {
    this.#reader = stream.getReader();
    this.#buffer = new Uint8Array(size);
  }

  async next(): Promise<{ chunk: Uint8Array; last: boolean }> {
    const size = this.#buffer.byteLength;
    let filled = 0;
    while (filled < size) {
      const piece = this.#pending ?? await this.#read();
      this.#pending = undefined;
      if (piece === undefined) break;
      const n = Math.min(size - filled, piece.byteLength);
      this.#buffer.set(piece.subarray(0, n), filled);
      filled += n;
      if (n < piece.byteLength) this.#pending = piece.subarray(n);
    }
    if (this.#pending === undefined) this.#pending = await this.#read();
    return {
      chunk: this.#buffer.subarray(0, filled),
      last: this.#pending === undefined,
    };
  }

  async close(reason?: unknown): Promise<void> {
    if (!this.#done) await this.#reader.cancel(reason).catch(() => {});
    this.#reader.releaseLock();
  }

  async #read(): Promise<Uint8Array | undefined> {
    while (!this.#done) {
      const { done, value } = await this.#reader.read();
      if (done) this.#done = true;
      else if (value.byteLength > 0) return value;
    }
    return undefined;
  }
}
