/**
 * Parsing of `Link` headers (RFC 8288), which registries send to page tag
 * lists, the catalog and referrers:
 * `Link: </v2/_catalog?last=b&n=2>; rel="next"`.
 *
 * Grammar, as implemented:
 *
 * ```
 * Link       = #link-value                          ; empty elements allowed
 * link-value = "<" URI-Reference ">" *( OWS ";" OWS [ link-param ] )
 * link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
 * ```
 *
 * Decisions where the RFC leaves room:
 *
 * - A param that occurs twice keeps its first value; later ones are ignored
 *   (RFC 8288 §3.3 asks this of `rel`). A param without a value is `""`.
 * - Empty params (`<x>;; rel=next`, a trailing `;`) are skipped.
 * - The target is kept as written; it must not hold whitespace, controls or
 *   `<`. It is resolved only by {@linkcode nextLink}, which does not check
 *   its origin: that is the client's job.
 * - A value is at most 16384 characters, with at most 64 links and 64 params
 *   per link.
 *
 * @module
 */

import { InvalidLinkError } from "../errors.ts";
import {
  COMMA,
  EQUALS,
  readParamName,
  readParamValue,
  setOwn,
  skipListGaps,
  skipOws,
  SP,
} from "./_syntax.ts";

/**
 * One link of a `Link` header.
 *
 * @example
 * ```ts
 * import type { LinkValue } from "jsr:@scope/docker-registry-client";
 *
 * const next: LinkValue = {
 *   target: "/v2/_catalog?last=b&n=2",
 *   params: { rel: "next" },
 *   rel: ["next"],
 * };
 * ```
 */
export interface LinkValue {
  /** The target URI reference, as written (not resolved). */
  target: string;
  /** The params: names lower-cased, values unquoted and unescaped. */
  params: Record<string, string>;
  /** The relation types: `rel` split on whitespace, lower-cased. */
  rel: string[];
}

const MAX_LINK_LENGTH = 16384;
const MAX_LINKS = 64;
const MAX_PARAMS = 64;

const SEMICOLON = 0x3b;
const LT = 0x3c;
const GT = 0x3e;

/** A single left-to-right pass over a header value: linear time. */
class LinkParser {
  readonly #s: string;
  #pos = 0;

  constructor(s: string) {
    this.#s = s;
  }

  parse(): LinkValue[] {
    const s = this.#s;
    const links: LinkValue[] = [];
    this.#skipSeparators();
    while (this.#pos < s.length) {
      if (links.length === MAX_LINKS) {
        this.#fail(`more than ${MAX_LINKS} links`);
      }
      const link: LinkValue = { target: this.#target(), params: {}, rel: [] };
      let count = 0;
      for (;;) {
        this.#skipOws();
        if (s.charCodeAt(this.#pos) !== SEMICOLON) break;
        this.#pos++;
        this.#skipOws();
        const c = s.charCodeAt(this.#pos);
        if (this.#pos >= s.length || c === SEMICOLON || c === COMMA) continue;
        if (count++ === MAX_PARAMS) {
          this.#fail(`more than ${MAX_PARAMS} params in a link`);
        }
        this.#param(link.params);
      }
      if (this.#pos < s.length && s.charCodeAt(this.#pos) !== COMMA) {
        this.#fail(
          `expected ';' or ',' but found ${
            this.#describe(this.#pos)
          } at ${this.#pos}`,
        );
      }
      if (Object.hasOwn(link.params, "rel")) {
        link.rel = link.params.rel.toLowerCase().split(/[ \t]+/).filter(
          Boolean,
        );
      }
      links.push(link);
      this.#skipSeparators();
    }
    return links;
  }

  #fail(rule: string): never {
    throw new InvalidLinkError(this.#s, rule);
  }

  #describe(p: number): string {
    return JSON.stringify(this.#s[p]);
  }

  #skipOws() {
    this.#pos = skipOws(this.#s, this.#pos);
  }

  /** Skips whitespace and commas: the gaps between list elements. */
  #skipSeparators() {
    this.#pos = skipListGaps(this.#s, this.#pos);
  }

  /** Reads `"<" URI-Reference ">"`. */
  #target(): string {
    const s = this.#s;
    const open = this.#pos;
    if (s.charCodeAt(open) !== LT) {
      this.#fail(
        `expected '<' but found ${this.#describe(open)} at ${open}`,
      );
    }
    let p = open + 1;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === GT) {
        this.#pos = p + 1;
        return s.slice(open + 1, p);
      }
      if (c <= SP || c === 0x7f || c === LT) {
        this.#fail(
          `invalid character ${this.#describe(p)} in target at ${p}`,
        );
      }
      p++;
    }
    this.#fail(`unterminated target (no '>') at ${open}`);
  }

  /** Reads `token BWS [ "=" BWS value ]` and stores it unless a duplicate. */
  #param(params: Record<string, string>) {
    const s = this.#s;
    const name = readParamName(s, this.#pos);
    if ("rule" in name) this.#fail(name.rule);
    const key = s.slice(this.#pos, name.end).toLowerCase();
    this.#pos = name.end;
    this.#skipOws();
    let value = "";
    if (s.charCodeAt(this.#pos) === EQUALS) {
      this.#pos++;
      this.#skipOws();
      const read = readParamValue(s, this.#pos);
      if ("rule" in read) this.#fail(read.rule);
      this.#pos = read.end;
      value = read.value;
    }
    if (!Object.hasOwn(params, key)) {
      setOwn(params, key, value);
    }
  }
}

/**
 * Parses a `Link` header value into its links.
 *
 * @param value The header value; several links are separated by commas.
 * @returns The links in order; an empty array for an empty value.
 * @throws {InvalidLinkError} When the value does not follow the grammar (no
 * `<`, no `>`, an unterminated quoted string, garbage between params) or is
 * too long (more than 16384 characters, 64 links, or 64 params in a link).
 *
 * @example
 * ```ts
 * import { parseLinkHeader } from "jsr:@scope/docker-registry-client";
 *
 * const [link] = parseLinkHeader('</v2/_catalog?last=b&n=2>; rel="next"');
 * console.log(link.target, link.rel); // /v2/_catalog?last=b&n=2 [ "next" ]
 * ```
 */
export function parseLinkHeader(value: string): LinkValue[] {
  if (value.length > MAX_LINK_LENGTH) {
    throw new InvalidLinkError(
      value,
      `longer than ${MAX_LINK_LENGTH} characters`,
    );
  }
  return new LinkParser(value).parse();
}

/**
 * Finds the `rel="next"` link of a `Link` header and resolves it against the
 * URL of the response that carried it. The first such link wins. The origin
 * is not checked.
 *
 * @param value The `Link` header value, or `null`/`undefined` when absent.
 * @param base The URL the header came from, to resolve a relative target.
 * @returns The next page's URL, or `undefined` when there is none.
 * @throws {InvalidLinkError} When the header does not parse or the next
 * target is not a URL reference.
 * @throws {TypeError} When `base` is not an absolute URL.
 *
 * @example
 * ```ts
 * import { nextLink } from "jsr:@scope/docker-registry-client";
 *
 * const url = nextLink(
 *   '</v2/foo/tags/list?last=b&n=2>; rel="next"',
 *   "http://127.0.0.1:5000/v2/foo/tags/list?n=2",
 * );
 * console.log(url?.href); // http://127.0.0.1:5000/v2/foo/tags/list?last=b&n=2
 * ```
 */
export function nextLink(
  value: string | null | undefined,
  base: string | URL,
): URL | undefined {
  const baseUrl = new URL(base);
  if (value === null || value === undefined) return undefined;
  const next = parseLinkHeader(value).find((link) => link.rel.includes("next"));
  if (next === undefined) return undefined;
  const url = URL.parse(next.target, baseUrl);
  if (url === null) {
    throw new InvalidLinkError(
      value,
      `next target ${JSON.stringify(next.target)} is not a valid URL reference`,
    );
  }
  return url;
}
