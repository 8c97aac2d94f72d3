// Private: reading a blob body into caller-provided buffers, resuming with
// `Range` when the connection drops, and verifying the digest and size of the
// whole as the bytes go by, through the one content verifier
// (`ContentVerifier`).
//
// Two ways to read, chosen by the first read: into a buffer the caller
// reuses (a BYOB reader on fetch's byte stream: a 1 GiB download to disk
// allocates no per-chunk buffers), or chunk by chunk as the network hands
// them over (a default reader: the chunks go on, uncopied, to whoever reads
// them — an upload of the same blob to another registry).

import { ContentVerifier, markVerified } from "../content/verify.ts";
import {
  ConnectionError,
  DigestMismatchError,
  InvalidResponseError,
  SizeMismatchError,
} from "../errors.ts";
import { redactError } from "../http/_redact.ts";

/**
 * Fetches the blob again from `offset` (a `Range: bytes=<offset>-` request);
 * `signal` aborts when the reader is cancelled meanwhile.
 */
export type Refetch = (
  offset: number,
  signal: AbortSignal,
) => Promise<Response>;

/** What a {@linkcode VerifiedBlobReader} checks and how it resumes. */
export interface VerifiedReadOptions {
  digest: string;
  size?: number;
  attempted: string;
  refetch: Refetch;
  maxResumes: number;
  signal?: AbortSignal;
}

/** The size of the scratch buffer reads go through. */
export const READ_CHUNK = 256 * 1024;

/**
 * Reads a blob body chunk by chunk into a buffer the caller provides. When a
 * read fails with a network error (not an abort), the blob is requested again
 * from the last byte received, up to `maxResumes` times; a registry that
 * ignores `Range` (200 instead of 206) has the bytes already received
 * skipped. Every byte is hashed; at the end the digest and size are checked.
 */
export class VerifiedBlobReader {
  readonly #options: VerifiedReadOptions;
  readonly #verifier: ContentVerifier;
  /** The body being read; a reader is taken at the first read. */
  #body?: ReadableStream<Uint8Array>;
  /** Chunk by chunk (`readChunk`) rather than into buffers (`read`). */
  #chunks = false;
  /** The body has ended (`readChunk`); the check follows. */
  #ended = false;
  #byob?: ReadableStreamBYOBReader;
  #plain?: ReadableStreamDefaultReader<Uint8Array>;
  #leftover?: Uint8Array;
  /** The buffer BYOB reads go into; transferred on each read, then reused. */
  #buffer = new Uint8Array(READ_CHUNK);
  #offset = 0;
  #resumes = 0;
  #skip = 0;
  #done = false;
  /** Aborted by `cancel()`: stops a resume request in flight. */
  readonly #cancelled = new AbortController();

  constructor(first: ReadableStream<Uint8Array>, options: VerifiedReadOptions) {
    this.#options = options;
    this.#verifier = new ContentVerifier(options);
    this.#attach(first);
  }

  /** Bytes delivered so far. */
  get offset(): number {
    return this.#offset;
  }

  /** The digest the blob is checked against. */
  get digest(): string {
    return this.#verifier.digest;
  }

  #attach(stream: ReadableStream<Uint8Array>): void {
    this.#body = stream;
    this.#byob = undefined;
    this.#plain = undefined;
    this.#leftover = undefined;
  }

  /** Takes a reader of the body in the mode reads are made in. */
  #take(): void {
    const body = this.#body;
    if (!body) return;
    this.#body = undefined;
    if (!this.#chunks) {
      try {
        this.#byob = body.getReader({ mode: "byob" });
        return;
      } catch { /* not a byte stream */ }
    }
    this.#plain = body.getReader();
  }

  /**
   * The next chunk of the blob as the network handed it over (fresh bytes
   * the caller may keep, uncopied), hashed; `undefined` once the blob has
   * ended and verified. Errors with `DigestMismatchError` or
   * `SizeMismatchError` on a bad blob. Do not mix with
   * {@linkcode VerifiedBlobReader.read}.
   */
  async readChunk(): Promise<Uint8Array | undefined> {
    if (this.#done) return undefined;
    this.#chunks = true;
    const chunk = await this.#nextRaw();
    if (chunk === undefined) {
      this.#finish();
      return undefined;
    }
    this.#offset += chunk.byteLength;
    try {
      this.#verifier.update(chunk);
    } catch (err) {
      await this.cancel();
      throw err;
    }
    return chunk;
  }

  /** The next network chunk (bytes to skip dropped), or `undefined` at the end. */
  async #nextRaw(): Promise<Uint8Array | undefined> {
    if (this.#ended) return undefined;
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        this.#take();
        result = await this.#plain!.read();
      } catch (err) {
        if (this.#done) throw err; // cancelled meanwhile: no resume
        await this.#resume(err);
        continue;
      }
      if (result.done) {
        this.#ended = true;
        return undefined;
      }
      let chunk = result.value;
      if (this.#skip > 0) {
        const drop = Math.min(this.#skip, chunk.byteLength);
        this.#skip -= drop;
        chunk = chunk.subarray(drop);
      }
      if (chunk.byteLength > 0) return chunk;
    }
  }

  /**
   * Fills `into` with the next bytes. Resolves with the number of bytes
   * written (0 once the blob has ended and verified). Errors with
   * `DigestMismatchError` or `SizeMismatchError` on a bad blob.
   */
  async read(into: Uint8Array): Promise<number> {
    if (this.#done) return 0;
    for (;;) {
      let n: number;
      try {
        n = await this.#readRaw(into);
      } catch (err) {
        if (this.#done) throw err; // cancelled meanwhile: no resume
        await this.#resume(err);
        continue;
      }
      if (n < 0) {
        this.#finish();
        return 0;
      }
      let chunk = into.subarray(0, n);
      if (this.#skip > 0) {
        const drop = Math.min(this.#skip, n);
        this.#skip -= drop;
        chunk = chunk.subarray(drop);
        if (chunk.byteLength === 0) continue;
        into.copyWithin(0, drop, n);
        n = chunk.byteLength;
        chunk = into.subarray(0, n);
      }
      this.#offset += n;
      try {
        this.#verifier.update(chunk);
      } catch (err) {
        await this.cancel();
        throw err;
      }
      return n;
    }
  }

  /** Stops reading and releases the connection. */
  async cancel(reason?: unknown): Promise<void> {
    this.#done = true;
    this.#cancelled.abort(reason);
    await (this.#byob ?? this.#plain ?? this.#body)?.cancel(reason).catch(
      () => {},
    );
  }

  /** One read from the current response: bytes written, or -1 at its end. */
  async #readRaw(into: Uint8Array): Promise<number> {
    this.#take();
    if (this.#byob) {
      const length = Math.min(into.byteLength, this.#buffer.byteLength);
      let result: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
      try {
        result = await this.#byob.read(
          new Uint8Array(this.#buffer.buffer, 0, length),
        );
      } catch (err) {
        // The failed read kept the (transferred) buffer: take a new one.
        this.#buffer = new Uint8Array(READ_CHUNK);
        throw err;
      }
      const { done, value } = result;
      if (value) this.#buffer = new Uint8Array(value.buffer);
      if (done) return -1;
      into.set(value);
      return value.byteLength;
    }
    let chunk = this.#leftover;
    this.#leftover = undefined;
    if (chunk === undefined) {
      const { done, value } = await this.#plain!.read();
      if (done) return -1;
      chunk = value;
    }
    const n = Math.min(chunk.byteLength, into.byteLength);
    into.set(chunk.subarray(0, n));
    if (n < chunk.byteLength) this.#leftover = chunk.subarray(n);
    return n;
  }

  /**
   * After a failed read: the caller's abort errors with its reason; a
   * network failure (a drop, a stalled read that timed out) resumes from the
   * last byte, until `maxResumes` are spent (then `ConnectionError`); a
   * resume answered with another range is an `InvalidResponseError`.
   */
  async #resume(err: unknown): Promise<void> {
    const { refetch, maxResumes, signal, attempted } = this.#options;
    if (signal?.aborted) {
      this.#done = true;
      throw signal.reason;
    }
    if (isVerifyError(err)) {
      this.#done = true;
      throw err;
    }
    if (this.#resumes >= maxResumes) {
      this.#done = true;
      throw new ConnectionError(
        `${attempted} (at byte ${this.#offset}, after ${this.#resumes} resumes)`,
        { cause: redactError(err) },
      );
    }
    this.#resumes++;
    (this.#byob ?? this.#plain)?.releaseLock();
    await this.#body?.cancel().catch(() => {});
    const res = await refetch(this.#offset, this.#cancelled.signal);
    if (this.#done) {
      // Cancelled while the resume was in flight: nobody reads this body.
      await res.body?.cancel().catch(() => {});
      throw this.#cancelled.signal.reason;
    }
    if (res.status === 200) this.#skip = this.#offset;
    else if (res.status !== 206 || !startsAt(res, this.#offset)) {
      await res.body?.cancel();
      this.#done = true;
      throw new InvalidResponseError(
        `resume ${attempted} at byte ${this.#offset}`,
        `the registry answered ${res.status} with Content-Range ${
          JSON.stringify((res.headers.get("content-range") ?? "").slice(0, 80))
        }`,
      );
    }
    this.#attach(res.body ?? new Response(new Uint8Array(0)).body!);
  }

  #finish(): void {
    this.#done = true;
    this.#verifier.finish();
  }
}

/**
 * The verified blob as a byte stream: a BYOB reader gets the bytes in its
 * own buffers (no allocation per chunk); a default reader gets the
 * network's chunks themselves, uncopied. A mismatch errors the stream at
 * its end (or as soon as too many bytes come). The stream is marked
 * verified (`isVerified`).
 */
export function verifiedBlobStream(
  reader: VerifiedBlobReader,
): ReadableStream<Uint8Array> {
  const stream = new ReadableStream({
    type: "bytes",
    async pull(controller) {
      const request = controller.byobRequest;
      if (!request?.view) {
        const chunk = await reader.readChunk();
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk);
        return;
      }
      const view = request.view;
      const n = await reader.read(
        new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
      );
      if (n === 0) {
        controller.close();
        request.respond(0);
        return;
      }
      request.respond(n);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return markVerified(stream, reader.digest);
}

function isVerifyError(err: unknown): boolean {
  return err instanceof DigestMismatchError || err instanceof SizeMismatchError;
}

function startsAt(res: Response, offset: number): boolean {
  const range = res.headers.get("content-range");
  if (range === null) return false;
  const m = /^bytes (\d+)-/.exec(range.trim());
  return m !== null && Number(m[1]) === offset;
}
