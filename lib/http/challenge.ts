/**
 * Parsing of `WWW-Authenticate` header values (RFC 9110 §11.6.1, which
 * replaces RFC 7235 §4.1): the challenges a registry answers a 401 with, and
 * the Bearer challenge of the Docker token-auth spec.
 *
 * Grammar, as implemented:
 *
 * ```
 * WWW-Authenticate = #challenge                    ; empty elements allowed
 * challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 * auth-param       = token BWS "=" BWS ( token / quoted-string )
 * token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 * ```
 *
 * Decisions where the RFC leaves room:
 *
 * - A param name that occurs twice in one challenge is an error (RFC 9110:
 *   "each parameter name MUST only occur once per challenge"); with the realm
 *   deciding where credentials go, guessing which one was meant is unsafe.
 * - A challenge has at most 64 params, a header at most 64 challenges, and a
 *   value (several headers joined) at most {@linkcode MAX_CHALLENGE_LENGTH}
 *   characters.
 * - Quoted strings may hold any character but controls (HTAB excepted);
 *   characters beyond Latin-1 are accepted as obs-text.
 *
 * @module
 */

import { InvalidChallengeError } from "../errors.ts";
import {
  COMMA,
  EQUALS,
  readParamName,
  readParamValue,
  setOwn,
  skipListGaps,
  skipOws,
} from "./_syntax.ts";

/**
 * One authentication challenge of a `WWW-Authenticate` header.
 *
 * @example
 * ```ts
 * import type { Challenge } from "jsr:@scope/docker-registry-client";
 *
 * const basic: Challenge = { scheme: "basic", params: { realm: "registry" } };
 * ```
 */
export interface Challenge {
  /** The auth scheme, lower-cased: `bearer`, `basic` … */
  scheme: string;
  /** The auth params: names lower-cased, values unquoted and unescaped. */
  params: Record<string, string>;
  /** The token68 (as in `Negotiate abc==`), present only when one was sent. */
  token68?: string;
}

/**
 * The longest `WWW-Authenticate` value (all headers joined with `", "`)
 * {@linkcode parseChallenges} accepts, in characters.
 *
 * @example
 * ```ts
 * import { MAX_CHALLENGE_LENGTH } from "jsr:@scope/docker-registry-client";
 *
 * console.log(MAX_CHALLENGE_LENGTH); // 16384
 * ```
 */
export const MAX_CHALLENGE_LENGTH: number = 16384;

const MAX_PARAMS = 64;
const MAX_CHALLENGES = 64;

/** RFC 9110 token68 characters, the trailing `=` excepted. */
function isToken68Char(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f ||
    c === 0x7e || c === 0x2b || c === 0x2f;
}

/** A single left-to-right pass over a header value: linear time. */
class ChallengeParser {
  readonly #s: string;
  #pos = 0;

  constructor(s: string) {
    this.#s = s;
  }

  /** Parses the whole value, appending its challenges to `challenges`. */
  parse(challenges: Challenge[]) {
    const s = this.#s;
    let current: Challenge | undefined;
    let paramCount = 0;
    this.#skipSeparators();
    while (this.#pos < s.length) {
      // At the start of a list element: a scheme or, after one, a param.
      const start = this.#pos;
      const name = this.#token();
      const afterName = this.#pos;
      this.#skipOws();
      if (s.charCodeAt(this.#pos) === EQUALS) {
        if (current === undefined) {
          this.#fail(`param without a scheme at ${start}`);
        }
        this.#param(current, name, start, paramCount++);
      } else {
        if (challenges.length === MAX_CHALLENGES) {
          this.#fail(`more than ${MAX_CHALLENGES} challenges`);
        }
        current = { scheme: name.toLowerCase(), params: {} };
        paramCount = 0;
        challenges.push(current);
        if (this.#pos > afterName && !this.#atElementEnd()) {
          // `scheme 1*SP` then either a token68 or the first param.
          if (!this.#token68(current)) {
            const paramStart = this.#pos;
            const paramName = this.#token();
            this.#skipOws();
            if (s.charCodeAt(this.#pos) !== EQUALS) {
              this.#fail(`expected '=' after param name at ${this.#pos}`);
            }
            this.#param(current, paramName, paramStart, paramCount++);
          }
        }
      }
      this.#endElement();
    }
  }

  #fail(rule: string): never {
    throw new InvalidChallengeError(this.#s, rule);
  }

  #skipOws() {
    this.#pos = skipOws(this.#s, this.#pos);
  }

  /** Skips whitespace and commas: the gaps between list elements. */
  #skipSeparators() {
    this.#pos = skipListGaps(this.#s, this.#pos);
  }

  #atElementEnd(): boolean {
    return this.#pos >= this.#s.length ||
      this.#s.charCodeAt(this.#pos) === COMMA;
  }

  /** After an element: optional whitespace, then a comma or the end. */
  #endElement() {
    this.#skipOws();
    if (!this.#atElementEnd()) {
      this.#fail(
        `expected ',' but found ${this.#describe(this.#pos)} at ${this.#pos}`,
      );
    }
    this.#skipSeparators();
  }

  #describe(p: number): string {
    return JSON.stringify(this.#s[p]);
  }

  /** Reads `1*tchar`; fails, naming what was found instead, when empty. */
  #token(): string {
    const start = this.#pos;
    const read = readParamName(this.#s, start);
    if ("rule" in read) this.#fail(read.rule);
    this.#pos = read.end;
    return this.#s.slice(start, read.end);
  }

  /** Reads a token68 if one ends the element; else leaves the position. */
  #token68(challenge: Challenge): boolean {
    const s = this.#s;
    const start = this.#pos;
    let p = start;
    while (p < s.length && isToken68Char(s.charCodeAt(p))) p++;
    if (p === start) return false;
    while (p < s.length && s.charCodeAt(p) === EQUALS) p++;
    const end = p;
    p = skipOws(s, p);
    if (p < s.length && s.charCodeAt(p) !== COMMA) return false;
    challenge.token68 = s.slice(start, end);
    this.#pos = p;
    return true;
  }

  /** Reads `"=" BWS value` (at the `=`) and stores the param. */
  #param(challenge: Challenge, name: string, start: number, count: number) {
    if (challenge.token68 !== undefined) {
      this.#fail(`param after a token68 at ${start}`);
    }
    if (count === MAX_PARAMS) {
      this.#fail(`more than ${MAX_PARAMS} params in a challenge`);
    }
    this.#pos++; // "="
    this.#skipOws();
    const read = readParamValue(this.#s, this.#pos);
    if ("rule" in read) this.#fail(read.rule);
    this.#pos = read.end;
    const value = read.value;
    const key = name.toLowerCase();
    if (Object.hasOwn(challenge.params, key)) {
      this.#fail(`duplicate param ${JSON.stringify(key)}`);
    }
    setOwn(challenge.params, key, value);
  }
}

/**
 * Parses the challenges of `WWW-Authenticate`: several per header value,
 * several headers, quoted values with `\` escapes, token68 and scheme-only
 * challenges. Schemes and param names are lower-cased.
 *
 * @param header One header value; several, one per header line (each must
 * be a valid list of challenges on its own, and errors name the line); or
 * the response's `Headers`, whose `WWW-Authenticate` lines `Headers` has
 * already joined with `", "` (which the grammar allows).
 * @returns The challenges in order; an empty array for an empty or missing
 * header.
 * @throws {InvalidChallengeError} When the value does not follow the
 * grammar or is too long (more than {@linkcode MAX_CHALLENGE_LENGTH}
 * characters, 64 challenges, or 64 params in one challenge); `rule` says
 * which rule failed.
 * @throws {TypeError} When `header` is none of the accepted types.
 *
 * @example Several challenges in one value
 * ```ts
 * import { parseChallenges } from "jsr:@scope/docker-registry-client";
 *
 * const challenges = parseChallenges(
 *   'Basic realm="a", Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
 * );
 * console.log(challenges[1].params.service); // registry.docker.io
 * ```
 *
 * @example From a response
 * ```ts
 * import { parseChallenges } from "jsr:@scope/docker-registry-client";
 *
 * const res = await fetch("http://127.0.0.1:5000/v2/");
 * await res.body?.cancel();
 * for (const c of parseChallenges(res.headers)) console.log(c.scheme);
 * ```
 */
export function parseChallenges(
  header: string | string[] | Headers,
): Challenge[] {
  let values: readonly string[];
  if (typeof header === "string") values = [header];
  else if (Array.isArray(header)) values = header.map(String);
  else if (header instanceof Headers) {
    values = [header.get("www-authenticate") ?? ""];
  } else {
    throw new TypeError(
      "parseChallenges() expects a string, an array of strings or Headers",
    );
  }
  // Several headers count as one value joined with ", " (RFC 9110 §5.3).
  let length = 2 * Math.max(0, values.length - 1);
  for (const value of values) length += value.length;
  if (length > MAX_CHALLENGE_LENGTH) {
    throw new InvalidChallengeError(
      values.join(", "),
      `longer than ${MAX_CHALLENGE_LENGTH} characters`,
    );
  }
  const challenges: Challenge[] = [];
  for (const value of values) new ChallengeParser(value).parse(challenges);
  return challenges;
}

/**
 * What a Bearer challenge of the Docker token-auth spec asks for.
 *
 * @example
 * ```ts
 * import type { BearerChallenge } from "jsr:@scope/docker-registry-client";
 *
 * const bearer: BearerChallenge = {
 *   realm: "https://auth.docker.io/token",
 *   service: "registry.docker.io",
 *   scope: ["repository:library/alpine:pull"],
 * };
 * ```
 */
export interface BearerChallenge {
  /** The token server's URL, as sent (not resolved, not checked). */
  realm: string;
  /** The `service` to ask the token server for, if sent. */
  service?: string;
  /** The scopes asked for: the `scope` param split on spaces; may be empty. */
  scope: string[];
  /** The `error` param (e.g. `insufficient_scope`), if sent. */
  error?: string;
}

function quoteParam(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Writes a challenge back as header text, for error messages. */
function formatChallenge(challenge: Challenge): string {
  if (challenge.token68 !== undefined) {
    return `${challenge.scheme} ${challenge.token68}`;
  }
  const params = Object.entries(challenge.params ?? {})
    .map(([k, v]) => `${k}=${quoteParam(String(v))}`)
    .join(", ");
  return params ? `${challenge.scheme} ${params}` : String(challenge.scheme);
}

function ownParam(
  params: Record<string, string>,
  key: string,
): string | undefined {
  return Object.hasOwn(params, key) ? params[key] : undefined;
}

/**
 * Reads the Docker token-auth fields of a Bearer challenge.
 *
 * @param challenge A challenge from {@linkcode parseChallenges}.
 * @returns The realm, the service and error when present, and the requested
 * scopes split on spaces (empty when there is no `scope` param).
 * @throws {InvalidChallengeError} When the challenge is not a Bearer
 * challenge, or has no realm or an empty one.
 *
 * @example
 * ```ts
 * import { bearerChallenge, parseChallenges } from "jsr:@scope/docker-registry-client";
 *
 * const [challenge] = parseChallenges(
 *   'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",' +
 *     'scope="repository:library/alpine:pull",error="insufficient_scope"',
 * );
 * const bearer = bearerChallenge(challenge);
 * console.log(bearer.realm, bearer.scope); // https://auth.docker.io/token [ "repository:library/alpine:pull" ]
 * ```
 */
export function bearerChallenge(challenge: Challenge): BearerChallenge {
  const scheme = String(challenge.scheme).toLowerCase();
  if (scheme !== "bearer") {
    throw new InvalidChallengeError(
      formatChallenge(challenge),
      `not a Bearer challenge (scheme ${JSON.stringify(scheme)})`,
    );
  }
  const params = challenge.params ?? {};
  const realm = ownParam(params, "realm");
  if (realm === undefined) {
    throw new InvalidChallengeError(
      formatChallenge(challenge),
      "Bearer challenge without a realm",
    );
  }
  if (realm === "") {
    throw new InvalidChallengeError(
      formatChallenge(challenge),
      "Bearer challenge with an empty realm",
    );
  }
  const scope = ownParam(params, "scope");
  const result: BearerChallenge = {
    realm,
    scope: scope === undefined ? [] : scope.split(/[ \t]+/).filter(Boolean),
  };
  const service = ownParam(params, "service");
  if (service !== undefined) result.service = service;
  const error = ownParam(params, "error");
  if (error !== undefined) result.error = error;
  return result;
}
