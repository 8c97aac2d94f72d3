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
import { createHash } from "node:crypto";
import { InvalidResponseError } from "../errors.ts";
import { ContentVerifier } from "../content/verify.ts";
import { type DigestAlgorithm, parseDigest } from "./_digest_core.ts";
import { checkAlgorithm, DigestHasher } from "./_hasher.ts";

export type { DigestAlgorithm, ParsedDigest } from "./_digest_core.ts";
export { isDigest, parseDigest } from "./_digest_core.ts";
export { DigestHasher } from "./_hasher.ts";

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

/**
 * A pass-through stream that checks the content going through it against a
 * digest (and a size, if given).
 *
 * Chunks go through unchanged (not copied). The stream errors with a
 * {@linkcode SizeMismatchError} as soon as more bytes than `size` arrive, and
 * at the end with a `SizeMismatchError` if fewer arrived, or a
 * {@linkcode DigestMismatchError} if the digest differs. A reader therefore
 * sees the error instead of the end of the stream: whoever reads to the end
 * has read verified content. The checks are those of
 * {@linkcode ContentVerifier}, the library's one content verifier.
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
  readonly #verifier: ContentVerifier;

  /**
   * Creates a verifier for one piece of content.
   *
   * @param options The expected digest and size, and what is being verified.
   * @throws {InvalidDigestError} If `options.digest` is not a valid,
   * supported digest.
   * @throws {RangeError} If `options.size` is not a non-negative safe integer.
   */
  constructor(options: VerifyOptions) {
    parseDigest(options.digest);
    const size = options.size;
    if (
      size !== undefined && (!Number.isSafeInteger(size) || size < 0)
    ) {
      throw new RangeError(
        `VerifyOptions.size must be a non-negative integer, got ${size}`,
      );
    }
    // The one content verifier does the hashing and the checks.
    const verifier = new ContentVerifier(options);
    super({
      transform(chunk, controller): void {
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(
            `DigestVerifier expects Uint8Array chunks, got ${typeof chunk}`,
          );
        }
        verifier.update(chunk);
        controller.enqueue(chunk);
      },
      flush(): void {
        verifier.finish();
      },
    });
    this.digest = verifier.digest;
    this.size = size;
    this.#verifier = verifier;
  }

  /** The number of bytes that have gone through so far. */
  get bytes(): number {
    return this.#verifier.bytes;
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
