/**
 * Which tags a sync copies: a regular expression, a semver range, and an
 * exclusion, each optional; a tag is copied when every filter given accepts
 * it.
 *
 * Tags are read as versions the way skopeo sync (`images-by-semver`) and
 * regsync read them, with Masterminds/semver's lenient rules: an optional
 * leading `v`, one to three numeric parts (the missing ones are 0), then an
 * optional `-prerelease` and `+build`. So `v1.2.3` is 1.2.3, `1.2` is 1.2.0
 * and `3` is 3.0.0; `latest`, `stable` or `sha256-….sig` are not versions
 * and never match a range. Ranges are npm-style (`>=1.2 <2`, `^1.4`,
 * `~3.18`, `1.x`, `>=1 || 0.9.x`, as `@std/semver` reads them); commas are
 * read as "and" too (`>= 1.2, < 2`), as Masterminds writes them. A
 * prerelease (`1.3.0-rc.1`) only matches a range that names a prerelease
 * of the same version, as in both tools.
 *
 * @example
 * ```ts
 * import { tagMatcher } from "jsr:@scope/docker-registry-client";
 *
 * const wanted = tagMatcher({ semver: ">=1.2 <2", exclude: ".*-debug" });
 * console.log(["v1.2.0", "1.3", "1.4-debug", "2.0.0", "latest"].filter(wanted)); // ["v1.2.0", "1.3"]
 * ```
 *
 * @module
 */

import { parseRange } from "@std/semver/parse-range";
import { satisfies } from "@std/semver/satisfies";
import type { Range } from "@std/semver/types";

/**
 * Which tags to sync; every filter given must accept a tag.
 *
 * @example
 * ```ts
 * import type { TagFilter } from "jsr:@scope/docker-registry-client";
 *
 * const filter: TagFilter = { semver: ">=3.18", exclude: ".*-rc.*" };
 * ```
 */
export interface TagFilter {
  /**
   * Tags matching this regular expression. A string must match the whole
   * tag (it is anchored, as regsync anchors its `allow` patterns:
   * `v1\..*`, not `^v1\.`); a `RegExp` is used as it is.
   */
  regex?: string | RegExp;
  /**
   * Tags that read as versions in this range (`>=1.2 <2`, `^3.18`,
   * `~1.4`, `1.x`); see the module documentation for how tags are read.
   */
  semver?: string;
  /** Leave out the tags matching this expression (anchored, like `regex`). */
  exclude?: string | RegExp;
}

/**
 * A tag read as a version (the shape of `@std/semver`'s `SemVer`).
 *
 * @example
 * ```ts
 * import { parseTagVersion, type TagVersion } from "jsr:@scope/docker-registry-client";
 *
 * const v: TagVersion | undefined = parseTagVersion("v2.1");
 * console.log(v?.major, v?.minor, v?.patch); // 2 1 0
 * ```
 */
export interface TagVersion {
  /** The major version. */
  major: number;
  /** The minor version (0 when the tag has none). */
  minor: number;
  /** The patch version (0 when the tag has none). */
  patch: number;
  /** The prerelease identifiers (`rc.1` → `["rc", 1]`). */
  prerelease: (string | number)[];
  /** The build metadata identifiers. */
  build: string[];
}

const VERSION_TAG =
  /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

function versionNumber(text: string | undefined): number | undefined {
  if (text === undefined) return 0;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Reads a tag as a version, leniently (see the module documentation):
 * `v1.2.3` → 1.2.3, `1.2` → 1.2.0, `3` → 3.0.0, `1.4.0-rc.1+b5` keeps its
 * prerelease and build.
 *
 * @param tag The tag.
 * @returns The version, or `undefined` when the tag is not one.
 *
 * @example
 * ```ts
 * import { parseTagVersion } from "jsr:@scope/docker-registry-client";
 *
 * console.log(parseTagVersion("v1.2")); // { major: 1, minor: 2, patch: 0, prerelease: [], build: [] }
 * console.log(parseTagVersion("latest")); // undefined
 * ```
 */
export function parseTagVersion(tag: string): TagVersion | undefined {
  const m = VERSION_TAG.exec(tag);
  if (!m) return undefined;
  const major = versionNumber(m[1]);
  const minor = versionNumber(m[2]);
  const patch = versionNumber(m[3]);
  if (major === undefined || minor === undefined || patch === undefined) {
    return undefined;
  }
  const prerelease = m[4] === undefined ? [] : m[4].split(".").map((p) => {
    const n = Number(p);
    return /^\d+$/.test(p) && Number.isSafeInteger(n) ? n : p;
  });
  const build = m[5] === undefined ? [] : m[5].split(".");
  return { major, minor, patch, prerelease, build };
}

/** Parses a range as sync reads it: npm-style, commas read as "and". */
function parseTagRange(text: string): Range {
  if (typeof text !== "string" || text.trim() === "") {
    throw new TypeError(`Invalid semver range "${text}": it is empty`);
  }
  try {
    return parseRange(text.trim().replace(/\s*,\s*/g, " "));
  } catch {
    throw new TypeError(
      `Invalid semver range "${text}": expected e.g. ">=1.2 <2", "^1.4", "~3.18" or "1.x"`,
    );
  }
}

/** An anchored expression from a string; a `RegExp` as it is. */
function compile(pattern: string | RegExp, what: string): RegExp {
  if (pattern instanceof RegExp) return pattern;
  if (typeof pattern !== "string") {
    throw new TypeError(`Invalid ${what}: expected a string or a RegExp`);
  }
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new SyntaxError(
      `Invalid ${what} "${pattern}": ${(err as Error).message}`,
    );
  }
}

/** A `RegExp`'s test, without the state of `g`/`y` flags. */
function tester(re: RegExp): (text: string) => boolean {
  return (text) => {
    re.lastIndex = 0;
    return re.test(text);
  };
}

/**
 * Compiles a tag filter into a predicate (every filter given must accept
 * the tag). An empty filter accepts every tag.
 *
 * @param filter The regex, semver range and exclusion.
 * @returns Whether a tag is wanted.
 * @throws {SyntaxError} When an expression does not compile.
 * @throws {TypeError} When the range is not valid.
 *
 * @example
 * ```ts
 * import { tagMatcher } from "jsr:@scope/docker-registry-client";
 *
 * const wanted = tagMatcher({ regex: "3\\.\\d+", semver: ">=3.18" });
 * console.log(wanted("3.19"), wanted("3.17"), wanted("3.19.1")); // true false false
 * ```
 */
export function tagMatcher(filter: TagFilter = {}): (tag: string) => boolean {
  const tests: Array<(tag: string) => boolean> = [];
  if (filter.regex !== undefined) {
    tests.push(tester(compile(filter.regex, "tag expression")));
  }
  if (filter.semver !== undefined) {
    const range = parseTagRange(filter.semver);
    tests.push((tag) => {
      const version = parseTagVersion(tag);
      return version !== undefined && satisfies(version, range);
    });
  }
  if (filter.exclude !== undefined) {
    const excluded = tester(compile(filter.exclude, "exclude expression"));
    tests.push((tag) => !excluded(tag));
  }
  return (tag) => tests.every((t) => t(tag));
}
