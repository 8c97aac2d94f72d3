// Private: the meter an upload body flows through as fetch pulls it:
// counts the bytes sent (progress), and optionally hashes them and checks
// them against the expected size and digest.

import { type DigestAlgorithm, DigestHasher } from "../digest.ts";
import { DigestMismatchError, SizeMismatchError } from "../errors.ts";

/**
 * Counts (and optionally hashes and size-checks) bytes as fetch pulls them.
 * The first error it raises is kept, so that the caller can report it rather
 * than the network error fetch turns it into.
 */
export class Meter {
  readonly hasher?: DigestHasher;
  error?: unknown;
  #sent: number;
  readonly #expectedSize?: number;
  readonly #expectedDigest?: string;
  readonly #onProgress?: (sent: number) => void;
  readonly #attempted: string;

  constructor(options: {
    start: number;
    hash?: DigestAlgorithm;
    expectedSize?: number;
    expectedDigest?: string;
    onProgress?: (sent: number) => void;
    attempted: string;
  }) {
    this.#sent = options.start;
    if (options.hash) this.hasher = new DigestHasher(options.hash);
    this.#expectedSize = options.expectedSize;
    this.#expectedDigest = options.expectedDigest;
    this.#onProgress = options.onProgress;
    this.#attempted = options.attempted;
  }

  get sent(): number {
    return this.#sent;
  }

  /**
   * A pass-through stream that meters what goes through; aborting `stop`
   * cancels the source (closing a file, releasing a response body).
   */
  through(
    stream: ReadableStream<Uint8Array>,
    stop: AbortSignal,
  ): ReadableStream<Uint8Array> {
    const fail = (err: unknown): never => {
      this.error ??= err;
      throw err;
    };
    return stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          this.#sent += chunk.byteLength;
          if (
            this.#expectedSize !== undefined && this.#sent > this.#expectedSize
          ) {
            fail(
              new SizeMismatchError(
                this.#attempted,
                this.#expectedSize,
                this.#sent,
              ),
            );
          }
          this.hasher?.update(chunk);
          controller.enqueue(chunk);
          this.#onProgress?.(this.#sent);
        },
        flush: () => {
          if (
            this.#expectedSize !== undefined && this.#sent < this.#expectedSize
          ) {
            fail(
              new SizeMismatchError(
                this.#attempted,
                this.#expectedSize,
                this.#sent,
              ),
            );
          }
          if (this.hasher && this.#expectedDigest !== undefined) {
            const actual = this.hasher.digest();
            if (actual !== this.#expectedDigest) {
              fail(
                new DigestMismatchError(
                  this.#attempted,
                  this.#expectedDigest,
                  actual,
                ),
              );
            }
          }
        },
      }),
      { signal: stop },
    );
  }
}
