/**
 * Parsing of repository references: `[scheme://][index/]name[:tag][@digest]`.
 *
 * The grammar is that of docker's reference package (distribution/reference)
 * with two additions the earlier Node and Deno clients had: an optional
 * `http://` or `https://` scheme on the index, and the aliases of the Docker
 * Hub index (`index.docker.io`, `registry-1.docker.io`, docker's config key
 * `https://index.docker.io/v1/`), all normalised to `docker.io`.
 *
 * - A name's first component is a registry host only if it contains `.` or
 *   `:`, is `localhost`, or starts with `[` (an IPv6 address); otherwise the
 *   whole name is a Docker Hub path, and a one-component Docker Hub path gets
 *   the `library/` namespace.
 * - Path components are lowercase letters and digits, joined by `.`, `_`,
 *   `__` or dashes; a name holds at most 255 characters, counted the way
 *   docker counts them (`docker.io/library/mongo` for `mongo`).
 * - A tag is `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`; a digest is `sha256:` and 64
 *   lowercase hex digits or `sha512:` and 128.
 *
 * Every parser here runs in time linear in its input (inputs over 1024
 * characters are refused unread) and throws an
 * {@linkcode InvalidReferenceError} that names the rule an input broke; the
 * error's `input` is the whole argument and its message names the part
 * (`repository name`, `tag`, `digest`, `index`) that failed.
 *
 * `canonicalName` and `canonicalRef` leave the scheme out. They parse back to
 * the same repository unless the index is a bare host name such as `myreg`
 * (accepted after a scheme, `https://myreg/a`, or as `defaultIndex`), which
 * without a scheme reads as a Docker Hub namespace, as it does for docker.
 *
 * @example Parsing a reference
 * ```ts
 * import { parseRepoAndRef } from "jsr:@scope/docker-registry-client";
 *
 * const ref = parseRepoAndRef("myreg.example.com:5000/busybox:foo");
 * console.log(ref.remoteName); // "busybox"
 * console.log(ref.canonicalRef); // "myreg.example.com:5000/busybox:foo"
 * ```
 *
 * @module
 */

import { parseDigest } from "./_digest_core.ts";
import { InvalidDigestError, InvalidReferenceError } from "../errors.ts";
import { DOCKER_HUB, isDockerHubHost } from "../registries.ts";

/** The name of the Docker Hub index, which every alias of it is normalised to. */
export const DEFAULT_INDEX_NAME: "docker.io" = DOCKER_HUB.name;

/** The tag {@linkcode parseRepoAndRef} assumes when neither a tag nor a digest is given. */
export const DEFAULT_TAG = "latest";

/**
 * A registry index (a registry host), as {@linkcode parseIndex} returns it.
 *
 * @example
 * ```ts
 * import { parseIndex, type RegistryIndex } from "jsr:@scope/docker-registry-client";
 *
 * const index: RegistryIndex = parseIndex("https://quay.io");
 * // { scheme: "https", name: "quay.io", official: false }
 * ```
 */
export interface RegistryIndex {
  /** The scheme, present only when one was given. `https` is assumed otherwise. */
  scheme?: "http" | "https";
  /** The host and optional port, e.g. `quay.io` or `localhost:5000`; `docker.io` for Docker Hub. */
  name: string;
  /** Whether this is the Docker Hub index. */
  official: boolean;
}

/**
 * A parsed repository name, as {@linkcode parseRepo} returns it.
 *
 * @example
 * ```ts
 * import { parseRepo, type RepoInfo } from "jsr:@scope/docker-registry-client";
 *
 * const repo: RepoInfo = parseRepo("mongo");
 * console.log(repo.remoteName); // "library/mongo"
 * ```
 */
export interface RepoInfo {
  /** The index (registry) the repository lives on. */
  index: RegistryIndex;
  /** Whether this is an official Docker Hub image (`library/<name>`). */
  official: boolean;
  /** The name the registry knows, e.g. `library/mongo` or `trentm/foo`. */
  remoteName: string;
  /**
   * The short name: `mongo` for official images, `foo/bar` for other Docker
   * Hub repositories, `host/remoteName` elsewhere.
   */
  localName: string;
  /** The name with its index: `docker.io/mongo`, `quay.io/trentm/foo`. */
  canonicalName: string;
}

/**
 * A parsed repository reference, as {@linkcode parseRepoAndRef} returns it.
 *
 * `canonicalRef` is a non-enumerable property: it is there to read but is left
 * out of `JSON.stringify` output and of object spreads.
 *
 * @example
 * ```ts
 * import { parseRepoAndRef, type RepoRef } from "jsr:@scope/docker-registry-client";
 *
 * const ref: RepoRef = parseRepoAndRef("busybox");
 * console.log(ref.tag, ref.canonicalRef); // "latest" "docker.io/busybox:latest"
 * ```
 */
export interface RepoRef extends RepoInfo {
  /** The tag: as given, {@linkcode DEFAULT_TAG} when neither tag nor digest was given, absent when only a digest was. */
  tag?: string;
  /** The digest, when one was given, e.g. `sha256:fb9f…`. */
  digest?: string;
  /** The whole reference without scheme: `docker.io/busybox:latest`, `quay.io/a/b:1@sha256:…`. */
  readonly canonicalRef: string;
}

/** Paths tolerated after an index name given to parseIndex (docker config keys). */
const TOLERATED_INDEX_PATHS: ReadonlySet<string> = new Set([
  "/",
  "/v1",
  "/v1/",
  "/v2",
  "/v2/",
]);

const OFFICIAL_NAMESPACE = DOCKER_HUB.officialNamespace;
const NAME_TOTAL_LENGTH_MAX = 255;
/** `host[:port]` leaves room for at least `/a` within the name limit. */
const HOST_LENGTH_MAX = NAME_TOTAL_LENGTH_MAX - 2;
/**
 * Inputs longer than this are refused before they are read: the longest
 * valid reference (scheme, 255-character name written with a long Hub alias,
 * 128-character tag, sha512 digest) is under 550 characters.
 */
const INPUT_LENGTH_MAX = 1024;
const TAG_LENGTH_MAX = 128;

const SLASH = 0x2f;
const COLON = 0x3a;
const DOT = 0x2e;
const DASH = 0x2d;
const UNDERSCORE = 0x5f;
const OPEN_BRACKET = 0x5b;

function fail(what: string, input: string, rule: string): never {
  throw new InvalidReferenceError(what, input, rule);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

function isLowerHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66);
}

function isAlnum(c: number): boolean {
  return isDigit(c) || isLower(c) || isUpper(c);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/**
 * Refuses the empty string, inputs over {@linkcode INPUT_LENGTH_MAX},
 * whitespace, and anything but printable ASCII.
 */
function checkCharacters(what: string, input: string): void {
  if (input.length === 0) fail(what, input, "must not be empty");
  if (input.length > INPUT_LENGTH_MAX) {
    fail(what, input, `must be at most ${INPUT_LENGTH_MAX} characters`);
  }
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c > 0x20 && c < 0x7f) continue;
    if (/\s/u.test(input[i])) fail(what, input, "must not contain whitespace");
    fail(what, input, "must contain only printable ASCII characters");
  }
}

function toScheme(input: string, text: string): "http" | "https" {
  const lower = text.toLowerCase();
  if (lower === "http" || lower === "https") return lower;
  return fail("index", input, "scheme must be http or https");
}

function isIPv4(text: string): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (const part of parts) {
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) {
      return false;
    }
  }
  return true;
}

/** Counts the 16-bit groups of one side of an IPv6 address; -1 if invalid. */
function ipv6Groups(text: string, allowIPv4: boolean): number {
  if (text === "") return 0;
  const items = text.split(":");
  let groups = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (allowIPv4 && i === items.length - 1 && item.includes(".")) {
      if (!isIPv4(item)) return -1;
      groups += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
      groups += 1;
    } else {
      return -1;
    }
  }
  return groups;
}

/** Whether `text` (between brackets) is an IPv6 address (RFC 4291 text form, no zone). */
function isIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  const gap = text.indexOf("::");
  if (gap === -1) return ipv6Groups(text, true) === 8;
  if (text.indexOf("::", gap + 1) !== -1) return false;
  const head = ipv6Groups(text.slice(0, gap), false);
  const tail = ipv6Groups(text.slice(gap + 2), true);
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

function checkDomainName(input: string, name: string): void {
  if (name.length === 0) fail("index", input, "host must not be empty");
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = i === name.length ? DOT : name.charCodeAt(i);
    if (c === DOT) {
      if (i === start) {
        fail("index", input, "host name components must not be empty");
      }
      if (
        name.charCodeAt(start) === DASH || name.charCodeAt(i - 1) === DASH
      ) {
        fail(
          "index",
          input,
          "host name components must not start or end with '-'",
        );
      }
      start = i + 1;
    } else if (!isAlnum(c) && c !== DASH) {
      if (c === 0x40 /* @ */) {
        fail("index", input, "must not contain credentials (user@host)");
      }
      fail(
        "index",
        input,
        "host name may contain only letters, digits, '-' and '.'",
      );
    }
  }
}

function checkPort(input: string, port: string): void {
  let ok = port.length >= 1 && port.length <= 5;
  for (let i = 0; ok && i < port.length; i++) {
    ok = isDigit(port.charCodeAt(i));
  }
  if (!ok || Number(port) < 1 || Number(port) > 65535) {
    fail("index", input, "port must be a number from 1 to 65535");
  }
}

/** Validates `host[:port]`: a DNS name, an IPv4 address or `[IPv6]`. */
function checkHost(input: string, host: string): void {
  let hostEnd: number;
  if (host.charCodeAt(0) === OPEN_BRACKET) {
    const close = host.indexOf("]");
    if (close === -1) {
      fail("index", input, "IPv6 address must be closed with ']'");
    }
    if (!isIPv6(host.slice(1, close))) {
      fail("index", input, "not a valid IPv6 address between '[' and ']'");
    }
    hostEnd = close + 1;
    if (hostEnd < host.length && host.charCodeAt(hostEnd) !== COLON) {
      fail("index", input, "only ':port' may follow an IPv6 address");
    }
  } else {
    const colon = host.indexOf(":");
    hostEnd = colon === -1 ? host.length : colon;
    checkDomainName(input, host.slice(0, hostEnd));
  }
  if (hostEnd < host.length) checkPort(input, host.slice(hostEnd + 1));
}

/** Builds a RegistryIndex from a validated-on-the-way `host[:port]`. */
function indexFrom(
  input: string,
  scheme: "http" | "https" | undefined,
  host: string,
): RegistryIndex {
  if (host.length > HOST_LENGTH_MAX) {
    fail("index", input, `host must be at most ${HOST_LENGTH_MAX} characters`);
  }
  checkHost(input, host);
  const official = isDockerHubHost(host);
  if (official && scheme === "http") {
    fail("index", input, "the Docker Hub index must be reached over https");
  }
  const name = official ? DEFAULT_INDEX_NAME : host;
  return scheme === undefined ? { name, official } : { scheme, name, official };
}

function indexFromObject(value: object): RegistryIndex {
  const { scheme, name } = value as { scheme?: unknown; name?: unknown };
  if (typeof name !== "string") {
    throw new TypeError(
      `defaultIndex.name must be a string, got ${describe(name)}`,
    );
  }
  if (scheme !== undefined && typeof scheme !== "string") {
    throw new TypeError(
      `defaultIndex.scheme must be a string, got ${describe(scheme)}`,
    );
  }
  return parseIndex(scheme === undefined ? name : `${scheme}://${name}`);
}

/** The rule a tag breaks, or `undefined` for a valid tag. */
function tagProblem(tag: string): string | undefined {
  if (tag.length === 0) return "must not be empty";
  if (tag.length > TAG_LENGTH_MAX) {
    return `must be at most ${TAG_LENGTH_MAX} characters`;
  }
  const first = tag.charCodeAt(0);
  if (!isAlnum(first) && first !== UNDERSCORE) {
    return "must start with a letter, a digit or '_'";
  }
  for (let i = 1; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    if (!isAlnum(c) && c !== UNDERSCORE && c !== DOT && c !== DASH) {
      return "may contain only letters, digits, '_', '.' and '-'";
    }
  }
  return undefined;
}

function checkTag(input: string, tag: string): void {
  const problem = tagProblem(tag);
  if (problem !== undefined) fail("tag", input, problem);
}

function checkDigest(input: string, digest: string): void {
  try {
    parseDigest(digest);
  } catch (err) {
    if (err instanceof InvalidDigestError) fail("digest", input, err.rule);
    throw err;
  }
}

/** Whether the repeated separator `path[start..end)` is `.`, `_`, `__` or dashes. */
function isSeparator(path: string, start: number, end: number): boolean {
  const first = path.charCodeAt(start);
  if (end - start === 1) return true;
  if (first === UNDERSCORE) {
    return end - start === 2 && path.charCodeAt(start + 1) === UNDERSCORE;
  }
  for (let i = start; i < end; i++) {
    if (path.charCodeAt(i) !== DASH) return false;
  }
  return true;
}

function isSeparatorChar(c: number): boolean {
  return c === DOT || c === UNDERSCORE || c === DASH;
}

const RULE_PATH_CHARS =
  "path components may contain only lowercase letters, digits, '.', '_' and '-'";

/**
 * The rule `component(/component)*` of docker's path grammar that `path`
 * breaks, or `undefined` when it is valid; in one pass.
 */
function pathProblem(path: string): string | undefined {
  for (let i = 0; i < path.length; i++) {
    if (isUpper(path.charCodeAt(i))) return "must be lowercase";
  }
  const n = path.length;
  let i = 0;
  for (;;) {
    if (i === n || path.charCodeAt(i) === SLASH) {
      return "path components must not be empty";
    }
    for (;;) {
      const c = path.charCodeAt(i);
      if (isDigit(c) || isLower(c)) {
        i++;
      } else if (isSeparatorChar(c)) {
        const start = i;
        while (i < n && isSeparatorChar(path.charCodeAt(i))) i++;
        const next = i === n ? SLASH : path.charCodeAt(i);
        const atEdge = next === SLASH ||
          start === 0 || path.charCodeAt(start - 1) === SLASH;
        if (atEdge) {
          return "path components must start and end with a lowercase letter or digit";
        }
        if (!isSeparator(path, start, i)) {
          return "separators must be '.', '_', '__' or dashes";
        }
      } else {
        return RULE_PATH_CHARS;
      }
      if (i === n || path.charCodeAt(i) === SLASH) break;
    }
    if (i === n) return undefined;
    i++; // the slash
  }
}

function checkPath(input: string, path: string): void {
  const problem = pathProblem(path);
  if (problem !== undefined) fail("repository name", input, problem);
}

/**
 * Whether `name` is a repository name (a remote name, without the
 * registry host): lowercase path components of letters and digits joined
 * by `.`, `_`, `__` or dashes, separated by `/`, at most 255 characters.
 *
 * @param name The name, e.g. `library/alpine`.
 * @returns `true` when it is valid.
 *
 * @example
 * ```ts
 * import { isValidRepoName } from "jsr:@scope/docker-registry-client";
 *
 * console.log(isValidRepoName("library/alpine")); // true
 * console.log(isValidRepoName("Library/Alpine")); // false
 * ```
 */
export function isValidRepoName(name: string): boolean {
  return typeof name === "string" && name.length <= NAME_TOTAL_LENGTH_MAX &&
    pathProblem(name) === undefined;
}

/**
 * Whether `tag` is a tag: up to 128 letters, digits, `_`, `.` and `-`, not
 * starting with `.` or `-`.
 *
 * @param tag The tag, e.g. `3.20`.
 * @returns `true` when it is valid.
 *
 * @example
 * ```ts
 * import { isValidTag } from "jsr:@scope/docker-registry-client";
 *
 * console.log(isValidTag("v1.0_rc-2")); // true
 * console.log(isValidTag("-latest")); // false
 * ```
 */
export function isValidTag(tag: string): boolean {
  return typeof tag === "string" && tagProblem(tag) === undefined;
}

/**
 * Whether a name's first component is a registry host rather than a path
 * (a name starting with `[`, an IPv6 address, is dealt with before).
 */
function looksLikeHost(component: string): boolean {
  return component.includes(".") || component.includes(":") ||
    component === "localhost";
}

function isImageId(text: string): boolean {
  if (text.length !== 64) return false;
  for (let i = 0; i < text.length; i++) {
    if (!isLowerHex(text.charCodeAt(i))) return false;
  }
  return true;
}

interface Parsed {
  info: RepoInfo;
  tag?: string;
  digest?: string;
}

function parse(
  fn: string,
  arg: unknown,
  defaultIndex: unknown,
  withRef: boolean,
): Parsed {
  if (typeof arg !== "string") {
    throw new TypeError(`${fn}() expects a string, got ${describe(arg)}`);
  }
  if (
    defaultIndex !== undefined && typeof defaultIndex !== "string" &&
    (typeof defaultIndex !== "object" || defaultIndex === null)
  ) {
    throw new TypeError(
      `${fn}() expects defaultIndex to be a string or a RegistryIndex, got ${
        describe(defaultIndex)
      }`,
    );
  }
  const NAME = "repository name";
  checkCharacters(withRef ? "reference" : NAME, arg);
  if (isImageId(arg)) {
    fail(NAME, arg, "must not be a 64-character hex string (an image ID)");
  }

  let rest = arg;
  let scheme: "http" | "https" | undefined;
  const schemeEnd = rest.indexOf("://");
  if (schemeEnd !== -1 && rest.indexOf("/") === schemeEnd + 1) {
    scheme = toScheme(arg, rest.slice(0, schemeEnd));
    rest = rest.slice(schemeEnd + 3);
  }

  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    if (!withRef) fail(NAME, arg, "must not include a digest");
    if (rest.indexOf("@", at + 1) !== -1) {
      fail("reference", arg, "must contain at most one '@'");
    }
    digest = rest.slice(at + 1);
    checkDigest(arg, digest);
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (
    colon > rest.lastIndexOf("/") && colon > rest.lastIndexOf("]")
  ) {
    if (!withRef) fail(NAME, arg, "must not include a tag");
    tag = rest.slice(colon + 1);
    checkTag(arg, tag);
    rest = rest.slice(0, colon);
  }

  if (rest.length === 0) fail(NAME, arg, "must not be empty");
  const slash = rest.indexOf("/");
  let index: RegistryIndex;
  let path: string;
  if (
    scheme !== undefined || rest.charCodeAt(0) === OPEN_BRACKET ||
    (slash !== -1 && looksLikeHost(rest.slice(0, slash)))
  ) {
    const host = slash === -1 ? rest : rest.slice(0, slash);
    index = indexFrom(arg, scheme, host);
    if (slash === -1) {
      fail(NAME, arg, "must include a repository path after the index");
    }
    path = rest.slice(slash + 1);
  } else {
    if (defaultIndex === undefined) {
      index = { name: DEFAULT_INDEX_NAME, official: true };
    } else if (typeof defaultIndex === "string") {
      index = parseIndex(defaultIndex);
    } else {
      index = indexFromObject(defaultIndex as object);
    }
    path = rest;
  }

  const remoteName = index.official && !path.includes("/")
    ? OFFICIAL_NAMESPACE + path
    : path;
  if (index.name.length + 1 + remoteName.length > NAME_TOTAL_LENGTH_MAX) {
    fail(
      NAME,
      arg,
      `must be at most ${NAME_TOTAL_LENGTH_MAX} characters, registry host included`,
    );
  }
  checkPath(arg, path);

  let official = false;
  let localName: string;
  let canonicalName: string;
  if (index.official) {
    const short = remoteName.slice(OFFICIAL_NAMESPACE.length);
    official = remoteName.startsWith(OFFICIAL_NAMESPACE) &&
      !short.includes("/");
    localName = official ? short : remoteName;
    canonicalName = `${DEFAULT_INDEX_NAME}/${localName}`;
  } else {
    localName = `${index.name}/${remoteName}`;
    canonicalName = localName;
  }
  return {
    info: { index, official, remoteName, localName, canonicalName },
    tag,
    digest,
  };
}

/**
 * Parses a registry index (a registry host) such as `quay.io`,
 * `https://localhost:5000` or `[::1]:5000`.
 *
 * With no argument it returns the Docker Hub index. `docker.io`,
 * `index.docker.io`, `registry-1.docker.io` and docker's config key
 * `https://index.docker.io/v1/` all give the name `docker.io`. A trailing
 * `/`, `/v1`, `/v1/`, `/v2` or `/v2/` (as in docker config keys) is
 * tolerated and dropped; any other path is refused. `scheme` is present in
 * the result only when the input gave one.
 *
 * @param arg The index, optionally with an `http://` or `https://` scheme.
 * Omitted: the Docker Hub index.
 * @returns The index: `{ scheme?, name, official }`.
 * @throws {TypeError} When `arg` is neither a string nor undefined.
 * @throws {InvalidReferenceError} When `arg` is empty, has a scheme other than
 * http or https, asks for the Docker Hub index over http, has a path, or its
 * host or port does not parse.
 *
 * @example Parsing index names
 * ```ts
 * import { parseIndex } from "jsr:@scope/docker-registry-client";
 *
 * parseIndex(); // { name: "docker.io", official: true }
 * parseIndex("https://index.docker.io/v1/"); // { scheme: "https", name: "docker.io", official: true }
 * parseIndex("localhost:5000"); // { name: "localhost:5000", official: false }
 * ```
 */
export function parseIndex(arg?: string): RegistryIndex {
  if (arg === undefined) return { name: DEFAULT_INDEX_NAME, official: true };
  if (typeof arg !== "string") {
    throw new TypeError(`parseIndex() expects a string, got ${describe(arg)}`);
  }
  checkCharacters("index", arg);
  let rest = arg;
  let scheme: "http" | "https" | undefined;
  const schemeEnd = rest.indexOf("://");
  if (schemeEnd !== -1) {
    scheme = toScheme(arg, rest.slice(0, schemeEnd));
    rest = rest.slice(schemeEnd + 3);
  }
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    if (!TOLERATED_INDEX_PATHS.has(rest.slice(slash))) {
      fail(
        "index",
        arg,
        "must be host[:port] without a path (only a trailing '/', '/v1/' or '/v2/' is tolerated)",
      );
    }
    rest = rest.slice(0, slash);
  }
  if (rest.length === 0) fail("index", arg, "host must not be empty");
  return indexFrom(arg, scheme, rest);
}

/**
 * Parses a repository name, `[scheme://][index/]name`, without tag or
 * digest.
 *
 * Names without an index use `defaultIndex` (Docker Hub unless given); a
 * one-component Docker Hub name gets the `library/` namespace.
 *
 * @param arg The repository name, e.g. `mongo`, `quay.io/trentm/foo`,
 * `https://localhost:5000/a/b`.
 * @param defaultIndex The index for names that do not start with one: an
 * index string as {@linkcode parseIndex} takes, or a {@linkcode RegistryIndex}
 * (whose `official` is recomputed from its name). Default: `docker.io`.
 * @returns The repository: `{ index, official, remoteName, localName, canonicalName }`.
 * @throws {TypeError} When `arg` is not a string or `defaultIndex` is neither
 * a string nor a RegistryIndex.
 * @throws {InvalidReferenceError} When the name does not follow the grammar,
 * carries a tag or a digest, or exceeds 255 characters; the error's `rule`
 * says which rule failed (e.g. `must be lowercase`).
 *
 * @example Parsing repository names
 * ```ts
 * import { parseRepo } from "jsr:@scope/docker-registry-client";
 *
 * const repo = parseRepo("mongo");
 * // {
 * //   index: { name: "docker.io", official: true },
 * //   official: true,
 * //   remoteName: "library/mongo",
 * //   localName: "mongo",
 * //   canonicalName: "docker.io/mongo"
 * // }
 * console.log(parseRepo("quay.io/trentm/foo").remoteName); // "trentm/foo"
 * console.log(parseRepo("foo", "localhost:5000").canonicalName); // "localhost:5000/foo"
 * ```
 */
export function parseRepo(
  arg: string,
  defaultIndex?: string | RegistryIndex,
): RepoInfo {
  return parse("parseRepo", arg, defaultIndex, false).info;
}

/**
 * Parses a repository reference, `[scheme://][index/]name[:tag][@digest]`.
 *
 * When neither a tag nor a digest is given the tag is
 * {@linkcode DEFAULT_TAG}; when only a digest is given there is no tag. A tag
 * and a digest may be given together. The result's `canonicalRef`
 * (`docker.io/busybox:latest`) is non-enumerable, so `JSON.stringify` shows
 * exactly the parsed fields.
 *
 * @param arg The reference, e.g. `busybox`, `myreg.example.com:5000/busybox:foo`,
 * `alpine@sha256:…`.
 * @param defaultIndex The index for names that do not start with one: an
 * index string as {@linkcode parseIndex} takes, or a {@linkcode RegistryIndex}.
 * Default: `docker.io`.
 * @returns The repository with `tag` and/or `digest`, and `canonicalRef`.
 * @throws {TypeError} When `arg` is not a string or `defaultIndex` is neither
 * a string nor a RegistryIndex.
 * @throws {InvalidReferenceError} When the name, tag, digest or index does not
 * follow the grammar; the error's `rule` says which rule failed.
 *
 * @example Parsing a reference with a tag
 * ```ts
 * import { parseRepoAndRef } from "jsr:@scope/docker-registry-client";
 *
 * const ref = parseRepoAndRef("myreg.example.com:5000/busybox:foo");
 * console.log(ref.index.name, ref.remoteName, ref.tag); // "myreg.example.com:5000" "busybox" "foo"
 * ```
 *
 * @example Parsing a reference with a digest
 * ```ts
 * import { parseRepoAndRef } from "jsr:@scope/docker-registry-client";
 *
 * const ref = parseRepoAndRef(
 *   "alpine@sha256:fb9f16730ac6316afa4d97caa5130219927bfcecf0b0ce35c01dcb612f449739",
 * );
 * console.log(ref.tag); // undefined
 * console.log(ref.canonicalRef); // "docker.io/alpine@sha256:fb9f…"
 * ```
 */
export function parseRepoAndRef(
  arg: string,
  defaultIndex?: string | RegistryIndex,
): RepoRef {
  const { info, tag, digest } = parse(
    "parseRepoAndRef",
    arg,
    defaultIndex,
    true,
  );
  const ref: Omit<RepoRef, "canonicalRef"> = info;
  let canonicalRef = info.canonicalName;
  if (tag !== undefined || digest === undefined) {
    ref.tag = tag ?? DEFAULT_TAG;
    canonicalRef += `:${ref.tag}`;
  }
  if (digest !== undefined) {
    ref.digest = digest;
    canonicalRef += `@${digest}`;
  }
  return Object.defineProperty(ref, "canonicalRef", {
    value: canonicalRef,
    enumerable: false,
    writable: false,
    configurable: false,
  }) as RepoRef;
}

/**
 * A synonym of {@linkcode parseRepoAndRef}, kept for users of the earlier
 * clients.
 *
 * @example
 * ```ts
 * import { parseRepoAndTag } from "jsr:@scope/docker-registry-client";
 *
 * console.log(parseRepoAndTag("busybox:1.36").tag); // "1.36"
 * ```
 */
export const parseRepoAndTag: typeof parseRepoAndRef = parseRepoAndRef;
