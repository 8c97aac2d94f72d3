/**
 * Errors for text that does not parse (references, digests, challenges,
 * scopes, `Link` headers): {@linkcode ParseError} and its subclasses. Part
 * of the error hierarchy re-exported by `lib/errors.ts`.
 *
 * @module
 */

const MAX_INPUT_IN_MESSAGE = 120;

/**
 * Quotes an input for an error message: control characters escaped, long
 * inputs shortened.
 */
function quoteInput(input: string): string {
  const short = input.length > MAX_INPUT_IN_MESSAGE
    ? `${input.slice(0, MAX_INPUT_IN_MESSAGE)}…(${input.length} chars)`
    : input;
  // deno-lint-ignore no-control-regex
  const unsafe = /[\u0000-\u001f\u007f"\\]/g;
  const escaped = short.replace(unsafe, (c) => {
    if (c === '"' || c === "\\") return `\\${c}`;
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return `"${escaped}"`;
}

/**
 * Text that does not follow a grammar: a reference, a digest, a
 * `WWW-Authenticate` value, a scope or a `Link` header.
 *
 * The message reads `Invalid <what> "<input>": <rule>`.
 *
 * @example Catching a parse error
 * ```ts
 * import { ParseError, parseRepoAndRef } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   parseRepoAndRef("foo/Bar");
 * } catch (err) {
 *   if (err instanceof ParseError) console.log(err.rule); // "must be lowercase"
 * }
 * ```
 */
export class ParseError extends SyntaxError {
  /** The text that failed to parse, as given (user info in a URL redacted). */
  readonly input: string;
  /** The rule that failed, e.g. `must be lowercase`. */
  readonly rule: string;

  /**
   * Creates the error.
   *
   * @param what What was being parsed, e.g. `repository name`.
   * @param input The text, as given.
   * @param rule The rule that failed.
   */
  constructor(what: string, input: string, rule: string) {
    // A URL-style input may carry user info (`https://user:pw@host/…`):
    // it never goes into the error.
    const safe = typeof input === "string"
      ? input.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@\s]*@/, "$1REDACTED@")
      : String(input);
    super(`Invalid ${what} ${quoteInput(safe)}: ${rule}`);
    this.name = "ParseError";
    this.input = safe;
    this.rule = rule;
  }
}

/**
 * A repository reference (`[index/]name[:tag][@digest]`) or an index name
 * that does not parse.
 *
 * @example
 * ```ts
 * import { InvalidReferenceError, parseRepo } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   parseRepo("foo/Bar");
 * } catch (err) {
 *   console.log(err instanceof InvalidReferenceError); // true
 * }
 * ```
 */
export class InvalidReferenceError extends ParseError {
  /**
   * Creates the error.
   *
   * @param what What was being parsed: `repository name`, `tag`, `index` …
   * @param input The text, as given.
   * @param rule The rule that failed.
   */
  constructor(what: string, input: string, rule: string) {
    super(what, input, rule);
    this.name = "InvalidReferenceError";
  }
}

/**
 * A digest (`algorithm:encoded`) that does not parse or uses an unsupported
 * algorithm.
 *
 * @example
 * ```ts
 * import { InvalidDigestError, parseDigest } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   parseDigest("sha256:XYZ");
 * } catch (err) {
 *   console.log(err instanceof InvalidDigestError); // true
 * }
 * ```
 */
export class InvalidDigestError extends ParseError {
  /**
   * Creates the error.
   *
   * @param input The text, as given.
   * @param rule The rule that failed.
   */
  constructor(input: string, rule: string) {
    super("digest", input, rule);
    this.name = "InvalidDigestError";
  }
}

/**
 * A `WWW-Authenticate` header value that does not follow RFC 7235.
 *
 * @example
 * ```ts
 * import { InvalidChallengeError, parseChallenges } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   parseChallenges('Bearer realm="unterminated');
 * } catch (err) {
 *   console.log(err instanceof InvalidChallengeError); // true
 * }
 * ```
 */
export class InvalidChallengeError extends ParseError {
  /**
   * Creates the error.
   *
   * @param input The header value, as given.
   * @param rule The rule that failed.
   */
  constructor(input: string, rule: string) {
    super("WWW-Authenticate challenge", input, rule);
    this.name = "InvalidChallengeError";
  }
}

/**
 * A token scope (`type:name:actions`) that does not parse.
 *
 * @example
 * ```ts
 * import { InvalidScopeError, parseScope } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   parseScope("repository");
 * } catch (err) {
 *   console.log(err instanceof InvalidScopeError); // true
 * }
 * ```
 */
export class InvalidScopeError extends ParseError {
  /**
   * Creates the error.
   *
   * @param input The scope, as given.
   * @param rule The rule that failed.
   */
  constructor(input: string, rule: string) {
    super("scope", input, rule);
    this.name = "InvalidScopeError";
  }
}

/**
 * A `Link` header value that does not follow RFC 8288.
 *
 * @example
 * ```ts
 * import { InvalidLinkError, parseLinkHeader } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   parseLinkHeader("</v2/x/tags/list?n=1; rel=next");
 * } catch (err) {
 *   console.log(err instanceof InvalidLinkError); // true
 * }
 * ```
 */
export class InvalidLinkError extends ParseError {
  /**
   * Creates the error.
   *
   * @param input The header value, as given.
   * @param rule The rule that failed.
   */
  constructor(input: string, rule: string) {
    super("Link header", input, rule);
    this.name = "InvalidLinkError";
  }
}
