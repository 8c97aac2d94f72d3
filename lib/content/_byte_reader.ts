// Private: reading streams through one reused buffer. Moving a blob of
// hundreds of MiB chunk by chunk through fresh buffers leaves that much
// garbage for V8 to collect, and V8 lets tens of MiB of it pile up first;
// reading a byte stream with a BYOB reader into a buffer that is reused
// keeps memory flat.

/** The size of the reused buffers. */
export const CHUNK_SIZE = 256 * 1024;

/**
 * Reads a stream chunk by chunk: with a BYOB reader into one reused buffer
 * when the stream is a byte stream, else chunk by chunk as it comes.
 */
export class ChunkReader {
  #byob?: ReadableStreamBYOBReader;
  #plain?: ReadableStreamDefaultReader<Uint8Array>;
  #scratch?: Uint8Array<ArrayBuffer>;
  #leftover?: Uint8Array;

  constructor(stream: ReadableStream<Uint8Array>) {
    try {
      this.#byob = stream.getReader({ mode: "byob" });
      this.#scratch = new Uint8Array(CHUNK_SIZE);
    } catch {
      this.#plain = stream.getReader();
    }
  }

  /**
   * The next chunk (at most `max` bytes), or `undefined` at the end. The
   * chunk is only valid until the next call (its buffer is reused).
   */
  async next(max: number = CHUNK_SIZE): Promise<Uint8Array | undefined> {
    if (this.#leftover) return this.#cut(this.#leftover, max);
    if (this.#byob) {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
        try {
          result = await this.#byob.read(this.#scratch!);
        } catch (err) {
          // The failed read kept the (transferred) buffer.
          this.#scratch = new Uint8Array(CHUNK_SIZE);
          throw err;
        }
        const { done, value } = result;
        if (value) this.#scratch = new Uint8Array(value.buffer);
        if (done) return undefined;
        if (value.byteLength > 0) return this.#cut(value, max);
      }
    }
    for (;;) {
      const { done, value } = await this.#plain!.read();
      if (done) return undefined;
      if (value.byteLength > 0) return this.#cut(value, max);
    }
  }

  /**
   * The first `max` bytes of a chunk; the rest is kept for the next calls
   * (a view: the scratch buffer is only read into again once it is used up).
   */
  #cut(chunk: Uint8Array, max: number): Uint8Array {
    this.#leftover = chunk.byteLength > max ? chunk.subarray(max) : undefined;
    return chunk.byteLength > max ? chunk.subarray(0, max) : chunk;
  }

  /**
   * Fills `into` with up to `into.byteLength` of the next bytes.
   *
   * @returns The number of bytes written; 0 at the end.
   */
  async read(into: Uint8Array): Promise<number> {
    const chunk = await this.next(into.byteLength);
    if (chunk === undefined) return 0;
    into.set(chunk);
    return chunk.byteLength;
  }

  /** Cancels the stream. */
  async cancel(reason?: unknown): Promise<void> {
    await (this.#byob ?? this.#plain)?.cancel(reason).catch(() => {});
  }
}

/**
 * A stream that opens its source on the first read (`open`), for a blob
 * the destination may already have: nothing is fetched unless it is read.
 * `onChunk` is called with the size of every chunk delivered; a source that
 * fails errors the stream with its own error.
 */
export type LazyStreamFactory = (
  open: () => Promise<ReadableStream<Uint8Array>>,
  onChunk: (bytes: number) => void,
) => ReadableStream<Uint8Array>;

/**
 * A lazy stream for fetch sending a request body (an upload): the source's
 * chunks are passed on as they are, not copied. They must be fresh buffers
 * the source does not reuse: fetch keeps a reference to a body chunk after
 * asking for the next (Deno's body channel and hyper's write queue hold it
 * until it is on the wire), and nothing tells when it lets go, so a buffer
 * reused too early would corrupt the upload. A store's `fetch()` gives fresh
 * chunks to a default reader (the network's own for a registry, one buffer
 * per read for a file).
 */
export const lazyChunkStream: LazyStreamFactory = (open, onChunk) => {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const opened = async () => reader ??= (await open()).getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await (await opened()).read();
      if (done) {
        controller.close();
        return;
      }
      onChunk(value.byteLength);
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader?.cancel(reason);
    },
  }, { highWaterMark: 0 });
};
