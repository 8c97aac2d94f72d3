// Private: digest parsing and one-shot hashing with WebCrypto — nothing that
// needs node:crypto, so that commands that only parse and read manifests
// (tags, manifest, digest) start without Deno's Node compatibility layer.
// `digest.ts` re-exports the public part.

import { encodeHex } from "@std/encoding/hex";
import { InvalidDigestError } from "../errors.ts";

/**
 * The digest algorithms the client supports.
 *
 * @example
 * ```ts
 * import type { DigestAlgorithm } from "jsr:@scope/docker-registry-client";
 *
 * const algorithm: DigestAlgorithm = "sha512";
 * ```
 */
export type DigestAlgorithm = "sha256" | "sha512";

/**
 * A digest split into its parts.
 *
 * @example
 * ```ts
 * import { parseDigest } from "jsr:@scope/docker-registry-client";
 *
 * const { algorithm, encoded } = parseDigest(
 *   "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
 * );
 * console.log(algorithm, encoded.length); // sha256 64
 * ```
 */
export interface ParsedDigest {
  /** The algorithm, e.g. `sha256`. */
  algorithm: DigestAlgorithm;
  /** The encoded hash: lowercase hex. */
  encoded: string;
  /** The whole digest, `algorithm:encoded`. */
  digest: string;
}

/** The longest digest text `parseDigest` looks at. sha512 needs 135. */
const MAX_DIGEST_LENGTH = 256;

/** Hex length of each supported algorithm's encoded part. */
const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  sha256: 64,
  sha512: 128,
};

// OCI image spec, descriptor.md: algorithm ":" encoded.
const ALGORITHM_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;
const ENCODED_RE = /^[a-zA-Z0-9=_-]+$/;
const LOWER_HEX_RE = /^[0-9a-f]+$/;

/** Whether the algorithm is one the client supports. */
export function isSupportedAlgorithm(
  algorithm: string,
): algorithm is DigestAlgorithm {
  return algorithm === "sha256" || algorithm === "sha512";
}

/** Says which rule `text` breaks, or `undefined` if it is a valid digest. */
function digestProblem(text: string): string | undefined {
  if (text.length === 0) return "must not be empty";
  if (text.length > MAX_DIGEST_LENGTH) {
    return `must be at most ${MAX_DIGEST_LENGTH} characters`;
  }
  const colon = text.indexOf(":");
  if (colon === -1) return 'must be "algorithm:encoded" (no ":" found)';
  const algorithm = text.slice(0, colon);
  const encoded = text.slice(colon + 1);
  if (!ALGORITHM_RE.test(algorithm)) {
    return "algorithm must match [a-z0-9]+([.+_-][a-z0-9]+)*";
  }
  if (!ENCODED_RE.test(encoded)) {
    return "encoded part must match [a-zA-Z0-9=_-]+";
  }
  if (!isSupportedAlgorithm(algorithm)) {
    return `unsupported algorithm "${algorithm}"`;
  }
  const hexLength = HEX_LENGTH[algorithm];
  if (encoded.length !== hexLength || !LOWER_HEX_RE.test(encoded)) {
    return `${algorithm} must be ${hexLength} lowercase hex characters`;
  }
  return undefined;
}

/**
 * Parses a digest (`algorithm:encoded`).
 *
 * The text must follow the OCI image spec grammar
 * (`[a-z0-9]+([.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`), and then use a supported
 * algorithm: `sha256` (64 lowercase hex characters) or `sha512` (128).
 *
 * @param text The digest, e.g. `sha256:e3b0c442…`.
 * @returns The digest's algorithm, encoded part and whole text.
 * @throws {InvalidDigestError} If the text does not parse; `rule` says why
 * (e.g. `unsupported algorithm "md5"`).
 *
 * @example Parsing a digest
 * ```ts
 * import { parseDigest } from "jsr:@scope/docker-registry-client";
 *
 * const parsed = parseDigest(
 *   "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
 * );
 * console.log(parsed.algorithm); // sha256
 * ```
 */
export function parseDigest(text: string): ParsedDigest {
  if (typeof text !== "string") {
    throw new TypeError(`A digest must be a string, got ${typeof text}`);
  }
  const problem = digestProblem(text);
  if (problem !== undefined) throw new InvalidDigestError(text, problem);
  const colon = text.indexOf(":");
  return {
    algorithm: text.slice(0, colon) as DigestAlgorithm,
    encoded: text.slice(colon + 1),
    digest: text,
  };
}

/**
 * Tells whether a text is a valid, supported digest (see
 * {@linkcode parseDigest}).
 *
 * @param text The text to check.
 * @returns `true` if `parseDigest(text)` would succeed.
 *
 * @example Telling a digest from a tag
 * ```ts
 * import { isDigest } from "jsr:@scope/docker-registry-client";
 *
 * console.log(isDigest("latest")); // false
 * ```
 */
export function isDigest(text: string): boolean {
  return typeof text === "string" && digestProblem(text) === undefined;
}

/**
 * Hashes bytes in one go with WebCrypto.
 *
 * @param data The bytes.
 * @param algorithm `sha256` or `sha512`.
 * @returns The digest, `algorithm:hex`.
 */
export async function digestOfBytes(
  data: Uint8Array,
  algorithm: DigestAlgorithm = "sha256",
): Promise<string> {
  const name = algorithm === "sha512" ? "SHA-512" : "SHA-256";
  const hash = await crypto.subtle.digest(
    name,
    data as Uint8Array<ArrayBuffer>,
  );
  return `${algorithm}:${encodeHex(hash)}`;
}
