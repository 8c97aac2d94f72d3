/**
 * Parsing of repository references: `[scheme://][index/]name[:tag][@digest]`.
 *
 * The grammar is that of docker's reference package (distribution/reference,
 * `ParseNormalizedNamed`) with two additions the earlier Node and Deno
 * clients had: an optional `http://` or `https://` scheme on the index, and
 * the aliases of the Docker Hub index (`index.docker.io`,
 * `registry-1.docker.io`, docker's config key `https://index.docker.io/v1/`),
 * all normalised to `docker.io`.
 *
 * - A name's first component (when a `/` follows it) is a registry host if
 *   it contains `.` or `:`, is `localhost`, or holds an upper-case letter, as
 *   docker's `splitDockerDomain` decides (or starts with `[`, an IPv6
 *   address); otherwise the whole name is a Docker Hub path, and a
 *   one-component Docker Hub path gets the `library/` namespace.
 * - A host is DNS-like components of letters, digits and inner dashes, or
 *   `[` hex digits and colons `]`, with an optional `:port` of digits.
 * - Path components are lowercase letters and digits, joined by `.`, `_`,
 *   `__` or dashes; the path holds at most 255 characters (`library/mongo`
 *   for `mongo`); the host is not counted.
 * - A tag is `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`; a digest is `sha256:` and 64
 *   lowercase hex digits or `sha512:` and 128.
 * - An index given with a scheme, and every string {@linkcode parseIndex}
 *   takes, must look like a host as the earlier clients required: contain
 *   `.` or `:`, or be `localhost`.
 *
 * Every parser here runs in time linear in its input (inputs over 1024
 * characters are refused unread) and throws an
 * {@linkcode InvalidReferenceError} that names the rule an input broke; the
 * error's `input` is the whole argument and its message names the part
 * (`repository name`, `tag`, `digest`, `index`) that failed.
 *
 * `canonicalName` and `canonicalRef` leave the scheme out. They parse back to
 * the same repository, unless `defaultIndex` was a {@linkcode RegistryIndex}
 * naming a bare host such as `myreg` (taken as given, as the earlier clients
 * did), which without a scheme reads as a Docker Hub namespace.
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
import {
  DASH,
  DOT,
  isAlnum,
  isDigit,
  isLower,
  isLowerHex,
  isUpper,
  OPEN_BRACKET,
  SLASH,
  UNDERSCORE,
} from "./_ascii.ts";
import { checkHost, checkLooksLikeHost, isHostComponent } from "./_host.ts";
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
/** docker's `RepositoryNameTotalLengthMax`, on the path (the remote name). */
const NAME_TOTAL_LENGTH_MAX = 255;
/**
 * Inputs longer than this are refused before they are read. docker bounds
 * the path (255 characters) and the tag (128), a sha512 digest takes 135, and
 * DNS names stop at 253: a real reference is far shorter.
 */
const INPUT_LENGTH_MAX = 1024;
const TAG_LENGTH_MAX = 128;

function fail(what: string, input: string, rule: string): never {
  throw new InvalidReferenceError(what, input, rule);
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

/** Builds a RegistryIndex from a validated-on-the-way `host[:port]`. */
function indexFrom(
  input: string,
  scheme: "http" | "https" | undefined,
  host: string,
): RegistryIndex {
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
  // Taken as given, as the earlier clients did: no looks-like-a-host rule.
  return indexOf(scheme === undefined ? name : `${scheme}://${name}`, false);
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
    (slash !== -1 && isHostComponent(rest.slice(0, slash)))
  ) {
    const host = slash === -1 ? rest : rest.slice(0, slash);
    index = indexFrom(arg, scheme, host);
    if (scheme !== undefined) checkLooksLikeHost(arg, host);
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
  if (remoteName.length > NAME_TOTAL_LENGTH_MAX) {
    fail(
      NAME,
      arg,
      `path must be at most ${NAME_TOTAL_LENGTH_MAX} characters (the registry host is not counted)`,
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
 * With no argument, or docker's login server `https://index.docker.io/v1/`
 * (what `docker login` sends by default), it returns the Docker Hub index,
 * without a scheme, as both earlier clients did. `docker.io`,
 * `index.docker.io` and `registry-1.docker.io` also give the name
 * `docker.io`. A trailing `/`, `/v1`, `/v1/`, `/v2` or `/v2/` (as in docker
 * config keys) is tolerated and dropped; any other path is refused. `scheme`
 * is present in the result only when the input gave one. As in the earlier
 * clients, the host must look like one: contain `.` or `:`, or be
 * `localhost` (`myreg` is refused; docker would read it as a Docker Hub
 * namespace).
 *
 * @param arg The index, optionally with an `http://` or `https://` scheme.
 * Omitted: the Docker Hub index.
 * @returns The index: `{ scheme?, name, official }`.
 * @throws {TypeError} When `arg` is neither a string nor undefined.
 * @throws {InvalidReferenceError} When `arg` is empty, has a scheme other than
 * http or https, asks for the Docker Hub index over http, has a path, does
 * not look like a host, or its host or port does not parse.
 *
 * @example Parsing index names
 * ```ts
 * import { parseIndex } from "jsr:@scope/docker-registry-client";
 *
 * parseIndex(); // { name: "docker.io", official: true }
 * parseIndex("https://index.docker.io/v1/"); // { name: "docker.io", official: true }
 * parseIndex("https://quay.io"); // { scheme: "https", name: "quay.io", official: false }
 * parseIndex("localhost:5000"); // { name: "localhost:5000", official: false }
 * ```
 */
export function parseIndex(arg?: string): RegistryIndex {
  if (arg === undefined || arg === DOCKER_HUB.credentialKey) {
    return { name: DEFAULT_INDEX_NAME, official: true };
  }
  if (typeof arg !== "string") {
    throw new TypeError(`parseIndex() expects a string, got ${describe(arg)}`);
  }
  return indexOf(arg, true);
}

/** parseIndex() of a string; `hostLike` applies the looks-like-a-host rule. */
function indexOf(arg: string, hostLike: boolean): RegistryIndex {
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
  const index = indexFrom(arg, scheme, rest);
  if (hostLike) checkLooksLikeHost(arg, rest);
  return index;
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
