// Private: incremental hashing with `node:crypto` (WebCrypto cannot hash
// incrementally). `digest.ts` re-exports the public part; the one content
// verifier (`../content/verify.ts`) hashes through it.

import { createHash, type Hash } from "node:crypto";
import { type DigestAlgorithm, isSupportedAlgorithm } from "./_digest_core.ts";

/** The algorithm, if supported; else a `RangeError`. */
export function checkAlgorithm(algorithm: unknown): DigestAlgorithm {
  if (typeof algorithm === "string" && isSupportedAlgorithm(algorithm)) {
    return algorithm;
  }
  throw new RangeError(
    `Unsupported digest algorithm ${
      JSON.stringify(algorithm)
    }: use "sha256" or "sha512"`,
  );
}

/**
 * Computes a digest incrementally, chunk by chunk, and counts the bytes.
 *
 * @example Hashing chunks as they come
 * ```ts
 * import { DigestHasher } from "jsr:@scope/docker-registry-client";
 *
 * const hasher = new DigestHasher();
 * hasher.update(new TextEncoder().encode("hello "));
 * hasher.update(new TextEncoder().encode("world"));
 * console.log(hasher.size, hasher.digest()); // 11 sha256:b94d27b9…
 * ```
 */
export class DigestHasher {
  /** The algorithm in use. */
  readonly algorithm: DigestAlgorithm;
  #hash: Hash;
  #size = 0;
  #digest: string | undefined;

  /**
   * Starts a new hash.
   *
   * @param algorithm The algorithm; `sha256` if not given.
   * @throws {RangeError} If the algorithm is not supported.
   */
  constructor(algorithm: DigestAlgorithm = "sha256") {
    this.algorithm = checkAlgorithm(algorithm);
    this.#hash = createHash(this.algorithm);
  }

  /**
   * Adds a chunk of content.
   *
   * @param chunk The bytes; they are not kept.
   * @throws {TypeError} If called after {@linkcode DigestHasher.digest}.
   */
  update(chunk: Uint8Array): void {
    if (this.#digest !== undefined) {
      throw new TypeError("DigestHasher.update() called after digest()");
    }
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
  }

  /** The number of bytes hashed so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Finishes hashing. Later calls return the same digest.
   *
   * @returns The digest, `algorithm:hex`.
   */
  digest(): string {
    this.#digest ??= `${this.algorithm}:${this.#hash.digest("hex")}`;
    return this.#digest;
  }
}
