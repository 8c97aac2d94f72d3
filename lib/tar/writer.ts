/**
 * Writing a tar archive as it is read: {@linkcode TarWriter} takes entries
 * one at a time (an iterable, possibly async), opens each one's content
 * only when its turn comes, and fills the caller's buffers with headers
 * (through {@linkcode encodeHeader}), content, padding and the
 * end-of-archive marker. Nothing is buffered beyond one header, so an
 * archive of any size streams in flat memory.
 *
 * @example A tar of one file
 * ```ts
 * import { TarWriter } from "./writer.ts";
 *
 * const data = new TextEncoder().encode("hello\n");
 * const tar = new TarWriter([{
 *   header: { name: "hello.txt", typeflag: "0", size: data.byteLength },
 *   open: () => new Blob([data]).stream(),
 * }]);
 * const bytes = await new Response(tar.stream()).bytes();
 * console.log(bytes.byteLength); // 2048
 * ```
 *
 * @module
 */

import { StoreError } from "../errors.ts";
import { ChunkReader } from "../content/_byte_reader.ts";
import { encodeHeader, paddingOf, type TarHeader } from "./header.ts";

/** Content read into the writer's buffers. */
export interface TarContentSource {
  /**
   * Reads up to `into.byteLength` bytes into `into`.
   *
   * @returns How many were read; 0 at the end.
   */
  read(into: Uint8Array): Promise<number>;
  /** Releases the source (closes a file). */
  close?(): Promise<void> | void;
}

/** One entry to write. */
export interface TarWriteEntry {
  /** Its header; `size` is the exact number of content bytes. */
  header: TarHeader;
  /** Opens its content, when it has any (called when its turn comes). */
  open?: () =>
    | Promise<TarContentSource | ReadableStream<Uint8Array>>
    | TarContentSource
    | ReadableStream<Uint8Array>;
}

/** Options of {@linkcode TarWriter}. */
export interface TarWriterOptions {
  /** Stops writing: the next read fails with the signal's reason. */
  signal?: AbortSignal;
  /** For messages: what is being written, e.g. `build a layer of ./app`. */
  attempted?: string;
  /** For messages: where the content comes from, e.g. `./app`. */
  source?: string;
}

/** The end-of-archive marker: two zero blocks. */
const TRAILER_SIZE = 1024;

/** A source over a stream. */
function streamSource(stream: ReadableStream<Uint8Array>): TarContentSource {
  const reader = new ChunkReader(stream);
  return {
    read: (into) => reader.read(into),
    close: () => reader.cancel(),
  };
}

/**
 * Writes a tar archive into the buffers it is asked to fill.
 *
 * @example Read it into one reused buffer
 * ```ts
 * import { TarWriter } from "./writer.ts";
 *
 * const tar = new TarWriter([{ header: { name: "d/", typeflag: "5", mode: 0o755 } }]);
 * const buffer = new Uint8Array(64 * 1024);
 * let total = 0;
 * for (let n; (n = await tar.read(buffer)) > 0;) total += n;
 * console.log(total); // 1536
 * ```
 */
export class TarWriter {
  #entries: Iterator<TarWriteEntry> | AsyncIterator<TarWriteEntry>;
  #signal?: AbortSignal;
  #attempted: string;
  #source: string;
  #pending: Uint8Array = new Uint8Array(0);
  #pendingAt = 0;
  #content?: TarContentSource;
  #entryName = "";
  #left = 0;
  #padding = 0;
  #done = false;
  #written = 0;

  /**
   * Creates a writer.
   *
   * @param entries The entries, in archive order.
   * @param options Cancellation, messages.
   */
  constructor(
    entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>,
    options: TarWriterOptions = {},
  ) {
    this.#entries = Symbol.asyncIterator in entries
      ? entries[Symbol.asyncIterator]()
      : entries[Symbol.iterator]();
    this.#signal = options.signal;
    this.#attempted = options.attempted ?? "write a tar archive";
    this.#source = options.source ?? "tar";
  }

  /** The number of archive bytes written so far. */
  get written(): number {
    return this.#written;
  }

  /**
   * Fills `into` with the next bytes of the archive (as many as are ready
   * up to its size).
   *
   * @param into The buffer.
   * @returns How many bytes were written; 0 once the archive is whole.
   * @throws {StoreError} When an entry's content is shorter than its size.
   */
  async read(into: Uint8Array): Promise<number> {
    let filled = 0;
    try {
      while (filled < into.byteLength) {
        this.#signal?.throwIfAborted();
        if (this.#pendingAt < this.#pending.byteLength) {
          const n = Math.min(
            this.#pending.byteLength - this.#pendingAt,
            into.byteLength - filled,
          );
          into.set(
            this.#pending.subarray(this.#pendingAt, this.#pendingAt + n),
            filled,
          );
          this.#pendingAt += n;
          filled += n;
          continue;
        }
        if (this.#left > 0) {
          const want = Math.min(this.#left, into.byteLength - filled);
          const n = await this.#content!.read(
            into.subarray(filled, filled + want),
          );
          if (n === 0) {
            throw new StoreError(
              this.#attempted,
              `the content of ${
                JSON.stringify(this.#entryName)
              } ended ${this.#left} bytes short of its size (did it change while being read?)`,
              this.#source,
            );
          }
          this.#left -= n;
          filled += n;
          if (this.#left === 0) await this.#endContent();
          continue;
        }
        if (this.#padding > 0) {
          this.#setPending(new Uint8Array(this.#padding));
          this.#padding = 0;
          continue;
        }
        if (this.#done) break;
        await this.#nextEntry();
      }
    } catch (err) {
      await this.cancel(err);
      throw err;
    }
    this.#written += filled;
    return filled;
  }

  #setPending(bytes: Uint8Array): void {
    this.#pending = bytes;
    this.#pendingAt = 0;
  }

  async #nextEntry(): Promise<void> {
    const next = await this.#entries.next();
    if (next.done) {
      this.#done = true;
      this.#setPending(new Uint8Array(TRAILER_SIZE));
      return;
    }
    const { header, open } = next.value;
    const size = header.size ?? 0;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(
        `Invalid size ${size} of tar entry ${JSON.stringify(header.name)}`,
      );
    }
    this.#setPending(encodeHeader(header));
    this.#entryName = header.name;
    this.#left = size;
    this.#padding = paddingOf(size);
    if (size > 0) {
      if (!open) {
        throw new TypeError(
          `Tar entry ${JSON.stringify(header.name)} has a size but no content`,
        );
      }
      const source = await open();
      this.#content = source instanceof ReadableStream
        ? streamSource(source)
        : source;
    }
  }

  /**
   * Reads the content to its end (a stream that verifies itself checks its
   * digest there): more bytes than its size is an error.
   */
  async #endContent(): Promise<void> {
    const more = await this.#content!.read(new Uint8Array(1));
    if (more > 0) {
      throw new StoreError(
        this.#attempted,
        `the content of ${
          JSON.stringify(this.#entryName)
        } is longer than its size (did it change while being read?)`,
        this.#source,
      );
    }
    await this.#closeContent();
  }

  async #closeContent(): Promise<void> {
    const content = this.#content;
    this.#content = undefined;
    await content?.close?.();
  }

  /**
   * Stops writing: closes the content being read and the entries' iterator.
   *
   * @param _reason Why (unused).
   */
  async cancel(_reason?: unknown): Promise<void> {
    this.#done = true;
    this.#left = 0;
    this.#padding = 0;
    this.#setPending(new Uint8Array(0));
    await this.#closeContent().catch(() => {});
    try {
      await this.#entries.return?.();
    } catch { /* the iterator's own failure is not this one's */ }
  }

  /**
   * The archive as a byte stream (BYOB readers fill their own buffers).
   *
   * @returns The stream; cancelling it cancels the writer.
   */
  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream({
      type: "bytes",
      autoAllocateChunkSize: 256 * 1024,
      pull: async (controller) => {
        const request = controller.byobRequest!;
        const view = request.view!;
        const n = await this.read(
          new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
        );
        if (n === 0) {
          controller.close();
          request.respond(0);
          return;
        }
        request.respond(n);
      },
      cancel: (reason) => this.cancel(reason),
    }, { highWaterMark: 0 });
  }
}
