/**
 * The error hierarchy of the client.
 *
 * Two families:
 *
 * - {@linkcode ParseError} (a `SyntaxError`) for text that does not parse:
 *   references, digests, challenges, scopes, `Link` headers. It keeps the
 *   input and names the rule that failed.
 * - {@linkcode RegistryError} for everything a registry (or the network to it)
 *   did: HTTP failures with their OCI error codes, authentication failures,
 *   digest mismatches, bodies that are too large or malformed.
 *
 * Messages say what was attempted and what came back. They never contain a
 * password, a token or an `Authorization` value.
 *
 * @module
 */

import { redactText, redactUrl } from "./http/_redact.ts";

export * from "./ref/parse_errors.ts";
export * from "./store_errors.ts";
import { StoreError } from "./store_errors.ts";

/** One entry of an OCI error body: `{"errors":[{"code","message","detail"}]}`. */
export interface OciErrorDetail {
  /** The error code, e.g. `MANIFEST_UNKNOWN`. */
  code: string;
  /** The registry's message, if any. */
  message?: string;
  /** The registry's detail, if any (any JSON). */
  detail?: unknown;
}

/** Options common to every {@linkcode RegistryError}. */
export interface RegistryErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The base class of every failure that involves a registry: HTTP errors,
 * authentication, digest and size checks, malformed responses.
 *
 * @example Telling registry failures from bugs
 * ```ts
 * import { createClient, RegistryError } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
 * try {
 *   await client.getManifest("latest");
 * } catch (err) {
 *   if (err instanceof RegistryError) console.error(err.message);
 *   else throw err;
 * }
 * ```
 */
export class RegistryError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was attempted and what came back.
   * @param options The cause, if any.
   */
  constructor(message: string, options?: RegistryErrorOptions) {
    super(message, options);
    this.name = "RegistryError";
  }
}

/** What an {@linkcode HttpError} records of the failed exchange. */
export interface HttpErrorInit extends RegistryErrorOptions {
  /** What was attempted, e.g. `get manifest "library/alpine:3.20"`. */
  attempted: string;
  /** The HTTP method. */
  method: string;
  /** The URL; it is redacted before it is stored. */
  url: string;
  /** The HTTP status. */
  status: number;
  /** The OCI error codes from the body, if any. */
  errors?: OciErrorDetail[];
  /**
   * Who answered, as the message names it; a named server's 401 reads
   * "refused the credentials".
   * @default {"registry"}
   */
  server?: string;
}

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * A registry (or token server) answered with an HTTP status that means
 * failure. Subclasses exist for the statuses a caller acts on:
 * {@linkcode AuthenticationError} (401), {@linkcode ForbiddenError} (403),
 * {@linkcode NotFoundError} (404) and {@linkcode TooManyRequestsError} (429).
 *
 * @example Reading the OCI error codes
 * ```ts
 * import { createClient, HttpError } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
 * try {
 *   await client.getManifest("nope");
 * } catch (err) {
 *   if (err instanceof HttpError) console.log(err.status, err.codes);
 * }
 * ```
 */
export class HttpError extends RegistryError {
  /** The HTTP status. */
  readonly status: number;
  /** The HTTP method of the failed request. */
  readonly method: string;
  /** The URL of the failed request, with secrets removed. */
  readonly url: string;
  /** What was attempted, e.g. `get manifest "library/alpine:3.20"`. */
  readonly attempted: string;
  /** The OCI `errors[]` entries from the body. */
  readonly errors: OciErrorDetail[];

  /**
   * Creates the error.
   *
   * @param init What was attempted and what came back.
   */
  constructor(init: HttpErrorInit) {
    const errors = init.errors ?? [];
    const codes = errors.map((e) => e.code).filter(Boolean);
    const firstMessage = errors.find((e) => e.message)?.message;
    let what = `${init.status}`;
    if (codes.length) what += ` ${codes.join(", ")}`;
    if (firstMessage) what += ` (${firstMessage.slice(0, 200)})`;
    const verdict = init.server !== undefined && init.status === 401
      ? `refused the credentials: ${what}`
      : `returned ${what}`;
    super(`Cannot ${init.attempted}: ${init.server ?? "registry"} ${verdict}`, {
      cause: init.cause,
    });
    this.name = "HttpError";
    this.status = init.status;
    this.method = init.method;
    this.url = redactUrl(init.url);
    this.attempted = init.attempted;
    this.errors = errors;
  }

  /** The OCI error codes, e.g. `["MANIFEST_UNKNOWN"]`. */
  get codes(): string[] {
    return this.errors.map((e) => e.code);
  }

  /** Whether repeating the same request may succeed (408, 429, 5xx gateways). */
  get retryable(): boolean {
    return RETRYABLE_STATUSES.has(this.status);
  }
}

/**
 * 401: the credentials were refused, missing, or the token server said no.
 *
 * @example
 * ```ts
 * import { AuthenticationError, createClient } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo", username: "u", password: "wrong" });
 * try {
 *   await client.login();
 * } catch (err) {
 *   console.log(err instanceof AuthenticationError);
 * }
 * ```
 */
export class AuthenticationError extends HttpError {
  /**
   * Creates the error.
   *
   * @param init What was attempted and what came back.
   */
  constructor(init: HttpErrorInit) {
    super(init);
    this.name = "AuthenticationError";
  }
}

/**
 * 403: authenticated, but not allowed (e.g. an anonymous push).
 *
 * @example
 * ```ts
 * import { ForbiddenError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new ForbiddenError({
 *   attempted: "push blob", method: "POST", url: "http://127.0.0.1:5000/v2/foo/blobs/uploads/", status: 403,
 * });
 * console.log(err.message);
 * ```
 */
export class ForbiddenError extends HttpError {
  /**
   * Creates the error.
   *
   * @param init What was attempted and what came back.
   */
  constructor(init: HttpErrorInit) {
    super(init);
    this.name = "ForbiddenError";
  }
}

/**
 * 404: the repository, manifest, blob or upload is not there. The OCI codes
 * (`NAME_UNKNOWN`, `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN` …) say which.
 *
 * @example
 * ```ts
 * import { createClient, NotFoundError } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
 * try {
 *   await client.getManifest("no-such-tag");
 * } catch (err) {
 *   if (err instanceof NotFoundError) console.log(err.codes); // ["MANIFEST_UNKNOWN"]
 * }
 * ```
 */
export class NotFoundError extends HttpError {
  /**
   * Creates the error.
   *
   * @param init What was attempted and what came back.
   */
  constructor(init: HttpErrorInit) {
    super(init);
    this.name = "NotFoundError";
  }
}

/** What a {@linkcode TooManyRequestsError} records beyond an HTTP error. */
export interface TooManyRequestsErrorInit extends HttpErrorInit {
  /** How long the registry asked to wait, in milliseconds, if it said. */
  retryAfterMs?: number;
}

/**
 * 429: the registry's rate limit was hit. `retryAfterMs` is the wait the
 * registry asked for (`Retry-After`), when it gave one.
 *
 * @example
 * ```ts
 * import { TooManyRequestsError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new TooManyRequestsError({
 *   attempted: "get manifest", method: "GET", url: "https://registry-1.docker.io/v2/library/alpine/manifests/3",
 *   status: 429, retryAfterMs: 60_000,
 * });
 * console.log(err.retryAfterMs); // 60000
 * ```
 */
export class TooManyRequestsError extends HttpError {
  /** The wait the registry asked for, in milliseconds. */
  readonly retryAfterMs?: number;

  /**
   * Creates the error.
   *
   * @param init What was attempted and what came back.
   */
  constructor(init: TooManyRequestsErrorInit) {
    super(init);
    this.name = "TooManyRequestsError";
    this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * Builds the {@linkcode HttpError} subclass that fits a status.
 *
 * @param init What was attempted and what came back.
 * @returns An `AuthenticationError`, `ForbiddenError`, `NotFoundError`,
 * `TooManyRequestsError` or plain `HttpError`.
 *
 * @example
 * ```ts
 * import { httpErrorFor, NotFoundError } from "jsr:@scope/docker-registry-client";
 *
 * const err = httpErrorFor({ attempted: "get blob", method: "GET", url: "http://h/v2/x/blobs/sha256:0", status: 404 });
 * console.log(err instanceof NotFoundError); // true
 * ```
 */
export function httpErrorFor(init: TooManyRequestsErrorInit): HttpError {
  switch (init.status) {
    case 401:
      return new AuthenticationError(init);
    case 403:
      return new ForbiddenError(init);
    case 404:
      return new NotFoundError(init);
    case 429:
      return new TooManyRequestsError(init);
    default:
      return new HttpError(init);
  }
}

/**
 * Content whose digest is not the one expected: a manifest, a blob, or a
 * digest the registry confirmed.
 *
 * @example
 * ```ts
 * import { DigestMismatchError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new DigestMismatchError("verify blob", "sha256:aaaa", "sha256:bbbb");
 * console.log(err.expected, err.actual);
 * ```
 */
export class DigestMismatchError extends RegistryError {
  /** The digest that was expected. */
  readonly expected: string;
  /** The digest of what arrived. */
  readonly actual: string;

  /**
   * Creates the error.
   *
   * @param attempted What was being verified, e.g. `verify blob`.
   * @param expected The digest that was expected.
   * @param actual The digest of what arrived.
   */
  constructor(attempted: string, expected: string, actual: string) {
    super(
      `Cannot ${attempted}: digest mismatch, expected ${expected} but got ${actual}`,
    );
    this.name = "DigestMismatchError";
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Content whose size is not the one expected (a truncated or overlong blob).
 *
 * @example
 * ```ts
 * import { SizeMismatchError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new SizeMismatchError("verify blob", 100, 99);
 * console.log(err.message);
 * ```
 */
export class SizeMismatchError extends RegistryError {
  /** The size that was expected, in bytes. */
  readonly expected: number;
  /** The size that arrived (so far), in bytes. */
  readonly actual: number;

  /**
   * Creates the error.
   *
   * @param attempted What was being verified.
   * @param expected The expected size in bytes.
   * @param actual The size that arrived, in bytes.
   */
  constructor(attempted: string, expected: number, actual: number) {
    super(
      `Cannot ${attempted}: size mismatch, expected ${expected} bytes but got ${actual}`,
    );
    this.name = "SizeMismatchError";
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A response body larger than the cap set for it; it was not read whole.
 *
 * @example
 * ```ts
 * import { ResponseTooLargeError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new ResponseTooLargeError("read token answer", 1_048_576);
 * console.log(err.limit);
 * ```
 */
export class ResponseTooLargeError extends RegistryError {
  /** The cap, in bytes. */
  readonly limit: number;

  /**
   * Creates the error.
   *
   * @param attempted What was being read.
   * @param limit The cap, in bytes.
   * @param size The size the registry announced, if it did.
   */
  constructor(attempted: string, limit: number, size?: number) {
    super(
      `Cannot ${attempted}: response is larger than the ${limit}-byte limit` +
        (size !== undefined ? ` (${size} bytes announced)` : ""),
    );
    this.name = "ResponseTooLargeError";
    this.limit = limit;
  }
}

/**
 * A manifest larger than the manifest size cap (4 MiB by default).
 *
 * @example
 * ```ts
 * import { ManifestTooLargeError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new ManifestTooLargeError('get manifest "foo:latest"', 4 * 1024 * 1024);
 * console.log(err.message);
 * ```
 */
export class ManifestTooLargeError extends ResponseTooLargeError {
  /**
   * Creates the error.
   *
   * @param attempted What was being read or written.
   * @param limit The cap, in bytes.
   * @param size The size announced, if known.
   */
  constructor(attempted: string, limit: number, size?: number) {
    super(attempted, limit, size);
    this.name = "ManifestTooLargeError";
  }
}

/**
 * A response that is not what the protocol allows: invalid JSON, a manifest
 * whose `mediaType` contradicts `Content-Type`, a token answer with no token,
 * a garbage `Location`.
 *
 * @example
 * ```ts
 * import { InvalidResponseError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new InvalidResponseError("get token", "the answer has no token");
 * console.log(err.message); // Cannot get token: the answer has no token
 * ```
 */
export class InvalidResponseError extends RegistryError {
  /**
   * Creates the error.
   *
   * @param attempted What was attempted.
   * @param problem What is wrong with the response.
   * @param options The cause, if any.
   */
  constructor(
    attempted: string,
    problem: string,
    options?: RegistryErrorOptions,
  ) {
    super(`Cannot ${attempted}: ${problem}`, options);
    this.name = "InvalidResponseError";
  }
}

/**
 * A request the client refuses to make: credentials over plain http to a
 * non-loopback host, an https → http redirect, too many redirects.
 *
 * @example
 * ```ts
 * import { UnsafeRequestError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new UnsafeRequestError("follow redirect", "https → http downgrade refused");
 * console.log(err.message);
 * ```
 */
export class UnsafeRequestError extends RegistryError {
  /**
   * Creates the error.
   *
   * @param attempted What was attempted.
   * @param problem Why it was refused.
   */
  constructor(attempted: string, problem: string) {
    super(`Cannot ${attempted}: ${problem}`);
    this.name = "UnsafeRequestError";
  }
}

/**
 * Credentials could not be read from where they are kept: a malformed config
 * file, a credential helper that failed, hung or printed garbage. Never
 * carries the secret itself.
 *
 * @example
 * ```ts
 * import { CredentialsError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new CredentialsError("run docker-credential-pass", "exited with code 1");
 * console.log(err.message);
 * ```
 */
export class CredentialsError extends RegistryError {
  /**
   * Creates the error.
   *
   * @param attempted What was attempted.
   * @param problem What went wrong.
   * @param options The cause, if any.
   */
  constructor(
    attempted: string,
    problem: string,
    options?: RegistryErrorOptions,
  ) {
    super(`Cannot ${attempted}: ${problem}`, options);
    this.name = "CredentialsError";
  }
}

/**
 * The registry could not be reached, or the connection broke: DNS, refused
 * connections, resets, TLS failures. The underlying error is the `cause`.
 *
 * @example
 * ```ts
 * import { ConnectionError, createClient } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:9/foo" });
 * try {
 *   await client.ping();
 * } catch (err) {
 *   console.log(err instanceof ConnectionError); // true
 * }
 * ```
 */
export class ConnectionError extends RegistryError {
  /**
   * Creates the error.
   *
   * @param attempted What was attempted.
   * @param options The underlying network error as `cause`.
   */
  constructor(attempted: string, options?: RegistryErrorOptions) {
    // fetch says "fetch failed" and keeps the reason in its own cause.
    const messages: string[] = [];
    for (
      let e: unknown = options?.cause, depth = 0;
      e instanceof Error && depth < 3;
      e = e.cause, depth++
    ) messages.push(e.message);
    const detail = messages.length === 0
      ? ""
      : `: ${redactText(messages.join(": ")).slice(0, 300)}`;
    super(`Cannot ${attempted}: connection failed${detail}`, options);
    this.name = "ConnectionError";
  }
}

/**
 * Whether an error says that something is not there: a registry's 404
 * ({@linkcode NotFoundError}) or a store's {@linkcode StoreError} with code
 * `NOT_FOUND` (such as {@linkcode ContentNotFoundError}).
 *
 * @param err Any error.
 * @returns `true` for "not found" errors.
 *
 * @example
 * ```ts
 * import { isNotFound, MemoryStore } from "jsr:@scope/docker-registry-client";
 *
 * const found = await new MemoryStore().resolve("x").then(() => true, (e) => isNotFound(e) ? false : Promise.reject(e));
 * console.log(found); // false
 * ```
 */
export function isNotFound(err: unknown): boolean {
  return err instanceof NotFoundError ||
    (err instanceof StoreError && err.code === "NOT_FOUND");
}
