/**
 * Content digests (`algorithm:encoded`): parsing, computing, and checking
 * content against a digest while it streams.
 *
 * Only `sha256` and `sha512` are supported, as in the OCI image spec. Hashing
 * uses `node:crypto`, which hashes incrementally (WebCrypto cannot).
 *
 * @module
 */

import { decodeBase64Url } from "@std/encoding/base64url";
import { createHash, type Hash } from "node:crypto";
import {
  DigestMismatchError,
  InvalidResponseError,
  SizeMismatchError,
} from "../errors.ts";

import {
  type DigestAlgorithm,
  isSupportedAlgorithm,
  parseDigest,
} from "./_digest_core.ts";

export type { DigestAlgorithm, ParsedDigest } from "./_digest_core.ts";
export { isDigest, parseDigest } from "./_digest_core.ts";

function checkAlgorithm(algorithm: unknown): DigestAlgorithm {
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
 * Computes the digest of some content.
 *
 * @param data The content; a string is hashed as its UTF-8 bytes.
 * @param algorithm The algorithm; `sha256` if not given.
 * @returns The digest, `algorithm:hex`.
 * @throws {RangeError} If the algorithm is not supported.
 *
 * @example Digest of a config blob
 * ```ts
 * import { digestOf } from "jsr:@scope/docker-registry-client";
 *
 * console.log(digestOf("{}"));
 * // sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
 * ```
 */
export function digestOf(
  data: Uint8Array | string,
  algorithm: DigestAlgorithm = "sha256",
): string {
  const alg = checkAlgorithm(algorithm);
  const hash = createHash(alg);
  hash.update(data);
  return `${alg}:${hash.digest("hex")}`;
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

/** What {@linkcode DigestVerifier} checks content against. */
export interface VerifyOptions {
  /** The digest the content must have, e.g. `sha256:…`. */
  digest: string;
  /** The size the content must have, in bytes, if known. */
  size?: number;
  /**
   * What is being verified, for error messages: `Cannot <attempted>: …`.
   * @default {"verify content"}
   */
  attempted?: string;
}

interface VerifierState {
  bytes: number;
}

/**
 * A pass-through stream that checks the content going through it against a
 * digest (and a size, if given).
 *
 * Chunks go through unchanged (not copied). The stream errors with a
 * {@linkcode SizeMismatchError} as soon as more bytes than `size` arrive, and
 * at the end with a `SizeMismatchError` if fewer arrived, or a
 * {@linkcode DigestMismatchError} if the digest differs. A reader therefore
 * sees the error instead of the end of the stream: whoever reads to the end
 * has read verified content.
 *
 * @example Verifying a blob while reading it
 * ```ts
 * import { DigestVerifier } from "jsr:@scope/docker-registry-client";
 *
 * const body = new Blob(["hello world"]).stream();
 * const verified = body.pipeThrough(
 *   new DigestVerifier({
 *     digest: "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
 *     size: 11,
 *     attempted: 'get blob "library/hello"',
 *   }),
 * );
 * console.log(await new Response(verified).text()); // hello world
 * ```
 */
export class DigestVerifier extends TransformStream<Uint8Array, Uint8Array> {
  /** The expected digest. */
  readonly digest: string;
  /** The expected size in bytes, if given. */
  readonly size: number | undefined;
  #state: VerifierState;

  /**
   * Creates a verifier for one piece of content.
   *
   * @param options The expected digest and size, and what is being verified.
   * @throws {InvalidDigestError} If `options.digest` is not a valid,
   * supported digest.
   * @throws {RangeError} If `options.size` is not a non-negative safe integer.
   */
  constructor(options: VerifyOptions) {
    const expected = parseDigest(options.digest);
    const size = options.size;
    if (
      size !== undefined && (!Number.isSafeInteger(size) || size < 0)
    ) {
      throw new RangeError(
        `VerifyOptions.size must be a non-negative integer, got ${size}`,
      );
    }
    const attempted = options.attempted ?? "verify content";
    const hash = createHash(expected.algorithm);
    const state: VerifierState = { bytes: 0 };
    const limit = size ?? Number.POSITIVE_INFINITY;
    super({
      transform(chunk, controller): void {
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(
            `DigestVerifier expects Uint8Array chunks, got ${typeof chunk}`,
          );
        }
        state.bytes += chunk.byteLength;
        if (state.bytes > limit) {
          throw new SizeMismatchError(attempted, limit, state.bytes);
        }
        hash.update(chunk);
        controller.enqueue(chunk);
      },
      flush(): void {
        if (size !== undefined && state.bytes < size) {
          throw new SizeMismatchError(attempted, size, state.bytes);
        }
        const actual = `${expected.algorithm}:${hash.digest("hex")}`;
        if (actual !== expected.digest) {
          throw new DigestMismatchError(attempted, expected.digest, actual);
        }
      },
    });
    this.digest = expected.digest;
    this.size = size;
    this.#state = state;
  }

  /** The number of bytes that have gone through so far. */
  get bytes(): number {
    return this.#state.bytes;
  }
}

/** What {@linkcode createDigestStream} returns. */
export interface DigestStream {
  /** The pass-through stream; pipe the content through it. */
  stream: TransformStream<Uint8Array, Uint8Array>;
  /**
   * The digest of what went through, once the stream has ended. Rejects if
   * the stream is cancelled or aborted.
   */
  digest: Promise<string>;
  /** The number of bytes that have gone through so far. */
  size(): number;
}

/**
 * Creates a pass-through stream that computes the digest of what goes
 * through it, for content whose digest is not known in advance (an upload
 * produced on the fly).
 *
 * @param algorithm The algorithm; `sha256` if not given.
 * @returns The stream, a promise of the digest (settled when the stream
 * ends), and a byte counter.
 * @throws {RangeError} If the algorithm is not supported.
 *
 * @example Digest of streamed content
 * ```ts
 * import { createDigestStream } from "jsr:@scope/docker-registry-client";
 *
 * const { stream, digest, size } = createDigestStream();
 * await new Blob(["hello world"]).stream().pipeThrough(stream).pipeTo(new WritableStream());
 * console.log(await digest, size()); // sha256:b94d27b9… 11
 * ```
 */
export function createDigestStream(
  algorithm: DigestAlgorithm = "sha256",
): DigestStream {
  const hasher = new DigestHasher(algorithm);
  let resolve!: (digest: string) => void;
  let reject!: (reason: unknown) => void;
  const digest = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller who only wants the bytes may never look at the digest: do not
  // turn a cancelled stream into an unhandled rejection.
  digest.catch(() => {});
  const transformer: Transformer<Uint8Array, Uint8Array> = {
    transform(chunk, controller): void {
      if (!(chunk instanceof Uint8Array)) {
        const err = new TypeError(
          `The digest stream expects Uint8Array chunks, got ${typeof chunk}`,
        );
        reject(err);
        throw err;
      }
      hasher.update(chunk);
      controller.enqueue(chunk);
    },
    flush(): void {
      resolve(hasher.digest());
    },
    cancel(reason): void {
      reject(
        reason instanceof Error
          ? reason
          : new Error("The digest stream was cancelled", { cause: reason }),
      );
    },
  };
  return {
    stream: new TransformStream(transformer),
    digest,
    size: () => hasher.size,
  };
}

const DIGEST_ATTEMPT = "compute manifest digest";

/** Decodes base64url (padding optional), or `undefined` if it is not. */
function base64UrlBytes(text: string): Uint8Array | undefined {
  try {
    return decodeBase64Url(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Computes the digest a registry gives a manifest.
 *
 * For most manifests that is the sha256 of the text's UTF-8 bytes. A signed
 * Docker schema 1 manifest (`schemaVersion: 1` with `signatures`) is digested
 * without its signatures: the first signature's `protected` header (libtrust
 * JWS) holds `formatLength` and `formatTail`, and the payload is the first
 * `formatLength` bytes of the manifest followed by the base64url-decoded
 * `formatTail`.
 *
 * @param manifestStr The manifest exactly as the registry sent it.
 * @returns The digest, `sha256:hex`.
 * @throws {InvalidResponseError} If the text is not JSON, or the signed
 * manifest's protected header is malformed.
 *
 * @example Checking a manifest's digest
 * ```ts
 * import { digestFromManifestStr } from "jsr:@scope/docker-registry-client";
 *
 * const manifest = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}';
 * console.log(digestFromManifestStr(manifest)); // sha256:…
 * ```
 */
export function digestFromManifestStr(manifestStr: string): string {
  if (typeof manifestStr !== "string") {
    throw new TypeError(
      `A manifest must be given as a string, got ${typeof manifestStr}`,
    );
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestStr);
  } catch (cause) {
    throw new InvalidResponseError(
      DIGEST_ATTEMPT,
      "the manifest is not valid JSON",
      { cause },
    );
  }
  if (
    !isRecord(manifest) || manifest.schemaVersion !== 1 ||
    manifest.signatures === undefined
  ) {
    return digestOf(manifestStr);
  }
  const signatures = manifest.signatures;
  if (!Array.isArray(signatures)) {
    throw new InvalidResponseError(
      DIGEST_ATTEMPT,
      "schema 1 manifest has a `signatures` member that is not an array",
    );
  }
  if (signatures.length === 0) return digestOf(manifestStr);
  const payload = schema1Payload(manifestStr, signatures[0]);
  return digestOf(payload);
}

/** The signed bytes of a libtrust pretty-JWS schema 1 manifest. */
function schema1Payload(manifestStr: string, signature: unknown): Uint8Array {
  const fail = (problem: string): never => {
    throw new InvalidResponseError(
      DIGEST_ATTEMPT,
      `schema 1 manifest signature: ${problem}`,
    );
  };
  if (!isRecord(signature) || typeof signature.protected !== "string") {
    return fail("the first signature has no `protected` header");
  }
  const headerBytes = base64UrlBytes(signature.protected);
  if (headerBytes === undefined) {
    return fail("the `protected` header is not base64url");
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(headerBytes),
    );
  } catch {
    return fail("the `protected` header is not JSON");
  }
  if (!isRecord(header)) return fail("the `protected` header is not an object");
  const { formatLength, formatTail } = header;
  // formatLength counts bytes of the UTF-8 text, not UTF-16 code units.
  const bytes = new TextEncoder().encode(manifestStr);
  if (
    typeof formatLength !== "number" || !Number.isSafeInteger(formatLength) ||
    formatLength < 0 || formatLength > bytes.byteLength
  ) {
    return fail(
      `\`formatLength\` must be an integer from 0 to ${bytes.byteLength}`,
    );
  }
  if (typeof formatTail !== "string") {
    return fail("`formatTail` must be a string");
  }
  const tail = base64UrlBytes(formatTail);
  if (tail === undefined) return fail("`formatTail` is not base64url");
  const payload = new Uint8Array(formatLength + tail.byteLength);
  payload.set(bytes.subarray(0, formatLength), 0);
  payload.set(tail, formatLength);
  return payload;
}
