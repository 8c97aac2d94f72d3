// Private: what an upload checks the bytes it sends against, chunk by chunk.
// A digest to verify goes through the one content verifier
// (`ContentVerifier`, which checks the size too); a digest not known yet is
// computed (`DigestHasher`) and the size, when given, checked here. Too many
// bytes fail as soon as they come; too few, or another digest, at the end.

import { ContentVerifier } from "../../content/verify.ts";
import { type DigestAlgorithm, DigestHasher } from "../../ref/digest.ts";
import { SizeMismatchError } from "../../errors.ts";

/** What to check; `verify` and `hash` exclude each other. */
export interface UploadCheckOptions {
  /** Verify the bytes against this digest (they start at the blob's start). */
  verify?: string;
  /** Compute the digest with this algorithm (when not verifying). */
  hash?: DigestAlgorithm;
  /** The blob's size, when known. */
  expectedSize?: number;
  /** What is being done, for messages. */
  attempted: string;
}

/** Checks (and hashes, when asked) the bytes of an upload as they go. */
export class UploadCheck {
  readonly #verifier?: ContentVerifier;
  readonly #hasher?: DigestHasher;
  readonly #expectedSize?: number;
  readonly #attempted: string;

  constructor(o: UploadCheckOptions) {
    this.#expectedSize = o.expectedSize;
    this.#attempted = o.attempted;
    if (o.verify !== undefined) {
      this.#verifier = new ContentVerifier({
        digest: o.verify,
        size: o.expectedSize,
        attempted: o.attempted,
      });
    } else if (o.hash !== undefined) {
      this.#hasher = new DigestHasher(o.hash);
    }
  }

  /**
   * Adds a chunk; `end` is the blob offset just past it.
   * @throws {SizeMismatchError} As soon as `end` is past the expected size.
   */
  update(chunk: Uint8Array, end: number): void {
    if (this.#verifier) return this.#verifier.update(chunk);
    this.#checkSize(end, false);
    this.#hasher?.update(chunk);
  }

  /**
   * At the end of the blob (`end` bytes): the size and digest checks.
   * @returns The digest verified or computed; `undefined` when neither.
   * @throws {SizeMismatchError} When the size differs.
   * @throws {DigestMismatchError} When the digest differs.
   */
  finish(end: number): string | undefined {
    if (this.#verifier) return this.#verifier.finish();
    this.#checkSize(end, true);
    return this.#hasher?.digest();
  }

  #checkSize(end: number, final: boolean): void {
    const expected = this.#expectedSize;
    if (
      expected !== undefined && (end > expected || (final && end < expected))
    ) {
      throw new SizeMismatchError(this.#attempted, expected, end);
    }
  }
}
