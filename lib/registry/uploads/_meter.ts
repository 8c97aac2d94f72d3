// Private: the meter an upload body flows through as fetch pulls it:
// counts the bytes sent (progress), and checks them (`_check.ts`): against
// the expected size and digest, or hashing them when the digest is not
// known yet.

import type { DigestAlgorithm } from "../../ref/digest.ts";
import { UploadCheck } from "./_check.ts";

/**
 * Counts (and checks or hashes) bytes as fetch pulls them. The first error
 * it raises, or that the source raises, is kept, so that the caller can
 * report it rather than the network error fetch turns it into.
 */
export class Meter {
  error?: unknown;
  #sent: number;
  #digest?: string;
  readonly #check: UploadCheck;
  readonly #onProgress?: (sent: number) => void;

  constructor(options: {
    start: number;
    hash?: DigestAlgorithm;
    expectedSize?: number;
    expectedDigest?: string;
    onProgress?: (sent: number) => void;
    attempted: string;
  }) {
    this.#sent = options.start;
    this.#check = new UploadCheck({
      verify: options.expectedDigest,
      hash: options.expectedDigest === undefined ? options.hash : undefined,
      expectedSize: options.expectedSize,
      attempted: options.attempted,
    });
    this.#onProgress = options.onProgress;
  }

  /** The bytes sent so far, counted from the blob's start. */
  get sent(): number {
    return this.#sent;
  }

  /** The digest verified or computed, once the source has ended. */
  get digest(): string | undefined {
    return this.#digest;
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
          try {
            this.#digest = this.#check.finish(this.#sent);
          } catch (err) {
            fail(err);
          }
          controller.close();
          return;
        }
        const chunk = result.value;
        this.#sent += chunk.byteLength;
        try {
          this.#check.update(chunk, this.#sent);
        } catch (err) {
          fail(err);
        }
        controller.enqueue(chunk);
        this.#onProgress?.(this.#sent);
      },
      cancel: (reason) => {
        stop.removeEventListener("abort", onStop);
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }
}
