/**
 * The one place content is checked against its descriptor: a
 * {@linkcode ContentVerifier} hashes and counts bytes as they go by and
 * raises a typed error as soon as they cannot match (too many bytes) or at
 * the end (too few, or another digest). Every read, upload, layout and
 * archive path checks content through it; {@linkcode verifyingStream} wraps
 * a stream with it.
 *
 * Streams a store hands out are marked as verified
 * ({@linkcode markVerified}), so that a store they are pushed into does not
 * hash them a second time ({@linkcode isVerified}).
 *
 * @example Check bytes as they arrive
 * ```ts
 * import { ContentVerifier } from "jsr:@scope/docker-registry-client";
 *
 * const verifier = new ContentVerifier({
 *   digest: "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
 *   size: 11,
 *   attempted: "read greeting",
 * });
 * verifier.update(new TextEncoder().encode("hello "));
 * verifier.update(new TextEncoder().encode("world"));
 * verifier.finish(); // throws DigestMismatchError or SizeMismatchError on a mismatch
 * ```
 *
 * @module
 */

import { DigestHasher } from "../ref/_hasher.ts";
import { parseDigest } from "../ref/_digest_core.ts";
import { DigestMismatchError, SizeMismatchError } from "../errors.ts";

/** What content must be: its digest, and its size when known. */
export interface ExpectedContent {
  /** The digest the content must have, e.g. `sha256:…`. */
  digest: string;
  /** The size in bytes, if known. */
  size?: number;
  /**
   * What is being done, for messages: `Cannot <attempted>: …`.
   * @default {"verify content"}
   */
  attempted?: string;
}

/**
 * Checks content against a digest and size, chunk by chunk.
 *
 * @example
 * ```ts
 * import { ContentVerifier, SizeMismatchError } from "jsr:@scope/docker-registry-client";
 *
 * const v = new ContentVerifier({ digest: "sha256:" + "0".repeat(64), size: 1 });
 * try {
 *   v.update(new Uint8Array(2));
 * } catch (err) {
 *   console.log(err instanceof SizeMismatchError); // true
 * }
 * ```
 */
export class ContentVerifier {
  /** The expected digest. */
  readonly digest: string;
  /** The expected size, if known. */
  readonly size: number | undefined;
  /** What is being done, for messages. */
  readonly attempted: string;
  readonly #hasher: DigestHasher;
  #finished = false;

  /**
   * Starts checking.
   *
   * @param expected The digest (and size) the content must have.
   * @throws {InvalidDigestError} When the digest does not parse.
   * @throws {RangeError} When the size is not a non-negative safe integer.
   */
  constructor(expected: ExpectedContent) {
    const parsed = parseDigest(expected.digest);
    const size = expected.size;
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
      throw new RangeError(
        `The expected size must be a non-negative integer, got ${size}`,
      );
    }
    this.digest = parsed.digest;
    this.size = size;
    this.attempted = expected.attempted ?? "verify content";
    this.#hasher = new DigestHasher(parsed.algorithm);
  }

  /** The number of bytes seen so far. */
  get bytes(): number {
    return this.#hasher.size;
  }

  /**
   * Adds a chunk.
   *
   * @param chunk The bytes (not kept).
   * @throws {SizeMismatchError} As soon as more bytes than `size` arrive.
   */
  update(chunk: Uint8Array): void {
    const total = this.#hasher.size + chunk.byteLength;
    if (this.size !== undefined && total > this.size) {
      throw new SizeMismatchError(this.attempted, this.size, total);
    }
    this.#hasher.update(chunk);
  }

  /**
   * Checks the whole: call it once the content has ended. Later calls
   * repeat the check without hashing again.
   *
   * @returns The digest.
   * @throws {SizeMismatchError} When fewer bytes than `size` came.
   * @throws {DigestMismatchError} When the digest differs.
   */
  finish(): string {
    const seen = this.#hasher.size;
    if (this.size !== undefined && seen !== this.size) {
      throw new SizeMismatchError(this.attempted, this.size, seen);
    }
    const actual = this.#hasher.digest();
    this.#finished = true;
    if (actual !== this.digest) {
      throw new DigestMismatchError(this.attempted, this.digest, actual);
    }
    return actual;
  }

  /** Whether {@linkcode ContentVerifier.finish} has run. */
  get finished(): boolean {
    return this.#finished;
  }
}

const VERIFIED = new WeakMap<ReadableStream<Uint8Array>, string>();

/**
 * Marks a stream as one that checks itself against `digest` (it errors
 * instead of ending when the content does not match).
 *
 * @param stream The stream.
 * @param digest The digest it checks against.
 * @returns The same stream.
 *
 * @example
 * ```ts
 * import { isVerified, markVerified, verifyingStream } from "jsr:@scope/docker-registry-client";
 *
 * const digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
 * const s = markVerified(verifyingStream(new Blob(["{}"]).stream(), { digest }), digest);
 * console.log(isVerified(s, digest)); // true
 * ```
 */
export function markVerified(
  stream: ReadableStream<Uint8Array>,
  digest: string,
): ReadableStream<Uint8Array> {
  VERIFIED.set(stream, digest);
  return stream;
}

/**
 * Whether a stream checks itself against `digest` (see
 * {@linkcode markVerified}): if so, whoever consumes it need not hash it.
 *
 * @param stream The stream.
 * @param digest The digest the consumer expects.
 * @returns `true` when the stream verifies itself against that digest.
 *
 * @example
 * ```ts
 * import { isVerified } from "jsr:@scope/docker-registry-client";
 *
 * console.log(isVerified(new Blob(["x"]).stream(), "sha256:" + "0".repeat(64))); // false
 * ```
 */
export function isVerified(
  stream: ReadableStream<Uint8Array>,
  digest: string,
): boolean {
  return VERIFIED.get(stream) === digest;
}

/** The size of the buffers a default reader of a verifying stream gets. */
const CHUNK = 256 * 1024;

/**
 * Wraps a stream so that it is checked against a digest (and size) as it is
 * read: the result errors instead of ending when the content does not
 * match. It is a byte stream: BYOB readers get the bytes in their own
 * buffers (no allocation per chunk). The result is marked verified.
 *
 * @param source The content.
 * @param expected The digest (and size) it must have.
 * @returns The checked stream.
 * @throws {InvalidDigestError} When the digest does not parse.
 *
 * @example
 * ```ts
 * import { verifyingStream } from "jsr:@scope/docker-registry-client";
 *
 * const checked = verifyingStream(new Blob(["hello world"]).stream(), {
 *   digest: "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
 *   size: 11,
 * });
 * console.log(await new Response(checked).text()); // hello world
 * ```
 */
export function verifyingStream(
  source: ReadableStream<Uint8Array>,
  expected: ExpectedContent,
): ReadableStream<Uint8Array> {
  const verifier = new ContentVerifier(expected);
  let byob: ReadableStreamBYOBReader | undefined;
  let plain: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    byob = source.getReader({ mode: "byob" });
  } catch {
    plain = source.getReader();
  }
  let leftover: Uint8Array | undefined;
  let scratch = byob ? new Uint8Array(CHUNK) : undefined;
  const readInto = async (into: Uint8Array): Promise<number> => {
    if (byob) {
      const length = Math.min(into.byteLength, scratch!.byteLength);
      const { done, value } = await byob.read(
        new Uint8Array(scratch!.buffer, 0, length),
      );
      if (value) scratch = new Uint8Array(value.buffer);
      if (done || !value) return -1;
      into.set(value);
      return value.byteLength;
    }
    let chunk = leftover;
    leftover = undefined;
    if (chunk === undefined) {
      const { done, value } = await plain!.read();
      if (done) return -1;
      chunk = value;
    }
    const n = Math.min(chunk.byteLength, into.byteLength);
    into.set(chunk.subarray(0, n));
    if (n < chunk.byteLength) leftover = chunk.subarray(n);
    return n;
  };
  const stream = new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: CHUNK,
    async pull(controller) {
      const request = controller.byobRequest!;
      const view = request.view!;
      const into = new Uint8Array(
        view.buffer,
        view.byteOffset,
        view.byteLength,
      );
      let n: number;
      try {
        n = await readInto(into);
        if (n < 0) verifier.finish();
        else verifier.update(into.subarray(0, n));
      } catch (err) {
        await (byob ?? plain)!.cancel(err).catch(() => {});
        throw err;
      }
      if (n < 0) {
        controller.close();
        request.respond(0);
        return;
      }
      request.respond(n);
    },
    cancel(reason) {
      return (byob ?? plain)!.cancel(reason);
    },
  });
  return markVerified(stream, verifier.digest);
}
