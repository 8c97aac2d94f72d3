// Private: the meter an upload body flows through as fetch pulls it:
// counts the bytes sent (progress), and optionally hashes them and checks
// them against the expected size and digest.

import { type DigestAlgorithm, DigestHasher } from "../../ref/digest.ts";
import { DigestMismatchError, SizeMismatchError } from "../../errors.ts";

/**
 * Counts (and optionally hashes and size-checks) bytes as fetch pulls them.
 * The first error it raises, or that the source raises, is kept, so that the
 * caller can report it rather than the network error fetch turns it into.
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
   * cancels the source (closing a file, releasing a response body). The
   * source is read here, so that its own failure (a digest mismatch, a read
   * error) is kept in {@linkcode Meter.error} before fetch turns it into a
   * network error.
   */
  through(
    stream: ReadableStream<Uint8Array>,
    stop: AbortSignal,
  ): ReadableStream<Uint8Array> {
    const reader = stream.getReader();
    const onStop = () => void reader.cancel(stop.reason).catch(() => {});
    stop.addEventListener("abort", onStop, { once: true });
    const fail = (err: unknown): never => {
      this.error ??= err;
      stop.removeEventListener("abort", onStop);
      void reader.cancel(err).catch(() => {});
      throw err;
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        let result: ReadableStreamReadResult<Uint8Array>;
        do {
          try {
            result = await reader.read();
          } catch (err) {
            return fail(err);
          }
        } while (!result.done && result.value.byteLength === 0);
        // Stopped: the upload failed already; nothing to check or report.
        if (stop.aborted) throw stop.reason;
        if (result.done) {
          stop.removeEventListener("abort", onStop);
          this.#finish(fail);
          controller.close();
          return;
        }
        const chunk = result.value;
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
      cancel: (reason) => {
        stop.removeEventListener("abort", onStop);
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }

  /** At the end of the source: the size and digest checks. */
  #finish(fail: (err: unknown) => never): void {
    if (
      this.#expectedSize !== undefined && this.#sent < this.#expectedSize
    ) {
      fail(
        new SizeMismatchError(this.#attempted, this.#expectedSize, this.#sent),
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
  }
}
