/**
 * Errors of the stores that are not registries (OCI layouts, archives,
 * memory) and of the operations on any store: {@linkcode StoreError} and its
 * subclasses, and {@linkcode LimitExceededError}. Part
 * of the error hierarchy re-exported by `lib/errors.ts`.
 *
 * @module
 */

/**
 * What kind of {@linkcode StoreError} it is: `NOT_FOUND` (what was asked
 * for is not there), `UNSAFE_PATH` (a path of the store is a symlink or
 * leaves its root: refused, never followed), `NO_SPACE` (the disk or quota
 * is full; nothing partial was kept), `LOCKED` (another writer held
 * `index.json` for too long).
 *
 * @example
 * ```ts
 * import { StoreError, type StoreErrorCode } from "jsr:@scope/docker-registry-client";
 *
 * const code: StoreErrorCode | undefined = new StoreError("x", "y", "z").code;
 * console.log(code); // undefined
 * ```
 */
export type StoreErrorCode =
  | "NOT_FOUND"
  | "UNSAFE_PATH"
  | "NO_SPACE"
  | "LOCKED";

/**
 * An operation went over a bound against hostile sources (index depth,
 * manifests, descriptors or manifest bytes of a walk, an operation's
 * deadline), whatever the store; the message names the option to raise.
 *
 * @example
 * ```ts
 * import { LimitExceededError } from "jsr:@scope/docker-registry-client";
 *
 * const err = new LimitExceededError('copy "app:1"', "index nesting depth", 9, 8, "maxIndexDepth");
 * console.log(err.message); // Cannot copy "app:1": index nesting depth 9 exceeds the limit of 8 (maxIndexDepth)
 * ```
 */
export class LimitExceededError extends Error {
  /** The value reached (the first over the limit). */
  readonly value: number;
  /** The limit. */
  readonly limit: number;
  /** The option that sets the limit, e.g. `maxIndexDepth`. */
  readonly option: string;

  /**
   * Creates the error from what was attempted (`copy "app:1"`), what is
   * counted (`index nesting depth`), the value reached, the limit, the
   * option that sets it, and the unit of both for the message (`ms`).
   */
  constructor(
    attempted: string,
    what: string,
    value: number,
    limit: number,
    option: string,
    unit = "",
  ) {
    const u = unit && ` ${unit}`;
    super(
      `Cannot ${attempted}: ${what} ${value}${u} exceeds the limit of ${limit}${u} (${option})`,
    );
    this.name = "LimitExceededError";
    [this.value, this.limit, this.option] = [value, limit, option];
  }
}

/**
 * A store that is not a registry (an OCI layout, an OCI or docker archive,
 * memory) could not do what was asked: a file that is not what it should
 * be, a path that leaves the store, a tag it does not hold.
 *
 * @example
 * ```ts
 * import { OciLayout, StoreError } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   await (await OciLayout.open("./app-oci")).resolve("nope");
 * } catch (err) {
 *   if (err instanceof StoreError) console.error(err.store, err.message);
 * }
 * ```
 */
export class StoreError extends Error {
  /** The store: a directory, an archive's path, `memory`. */
  readonly store: string;
  /** What kind of failure it is, when a caller can act on it. */
  readonly code?: StoreErrorCode;

  /**
   * Creates the error.
   *
   * @param attempted What was attempted, e.g. `read blob sha256:… of OCI layout "./x"`.
   * @param problem What is wrong.
   * @param store The store.
   * @param options The cause, if any; a {@linkcode StoreErrorCode}.
   */
  constructor(
    attempted: string,
    problem: string,
    store: string,
    options?: { cause?: unknown; code?: StoreErrorCode },
  ) {
    super(`Cannot ${attempted}: ${problem}`, options);
    this.name = "StoreError";
    this.store = store;
    if (options?.code) this.code = options.code;
  }
}

/**
 * A blob, manifest or tag that a store (not a registry: see
 * {@linkcode NotFoundError}) does not hold.
 *
 * @example
 * ```ts
 * import { ContentNotFoundError, MemoryStore } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   await new MemoryStore().resolve("latest");
 * } catch (err) {
 *   console.log(err instanceof ContentNotFoundError); // true
 * }
 * ```
 */
export class ContentNotFoundError extends StoreError {
  /**
   * Creates the error.
   *
   * @param attempted What was attempted.
   * @param store The store.
   * @param problem What is missing, e.g. `no such blob`.
   */
  constructor(attempted: string, store: string, problem = "not found") {
    super(attempted, problem, store, { code: "NOT_FOUND" });
    this.name = "ContentNotFoundError";
  }
}

/**
 * A tar entry that would land outside its root (absolute, `..`, a NUL,
 * through a symlink of the same archive, a hard link to such a path):
 * refused, never followed. Code `UNSAFE_PATH`.
 *
 * @example
 * ```ts
 * import { UnsafeTarEntryError } from "jsr:@scope/docker-registry-client";
 *
 * console.log(new UnsafeTarEntryError("read x.tar", "../a", "leaves the archive's root", "x.tar").entry);
 * ```
 */
export class UnsafeTarEntryError extends StoreError {
  /** The entry's name, as written in the archive. */
  readonly entry: string;

  /**
   * Creates the error.
   * @param attempted What was attempted, e.g. `read layer sha256:…`.
   * @param entry The entry's name, as written.
   * @param problem Why it is refused, e.g. `is absolute`.
   * @param store The archive or store it comes from.
   */
  constructor(
    attempted: string,
    entry: string,
    problem: string,
    store: string,
  ) {
    const name = JSON.stringify(entry.slice(0, 300));
    super(
      attempted,
      `the archive holds an entry named ${name}, which ${problem}; refusing it`,
      store,
      { code: "UNSAFE_PATH" },
    );
    this.name = "UnsafeTarEntryError";
    this.entry = entry;
  }
}

/**
 * An artifact that would write outside the directory it is pulled into (a
 * title or entry that is absolute or has `..`, a link out, a path through a
 * symlink): code `UNSAFE_PATH`, and nothing is written.
 *
 * @example
 * ```ts
 * import { pullArtifact, RegistryStore, UnsafeArtifactError } from "jsr:@scope/docker-registry-client";
 *
 * const err = await pullArtifact(new RegistryStore("http://127.0.0.1:5000/a:1"), "out").catch((e) => e);
 * if (err instanceof UnsafeArtifactError) console.error("refused:", err.path);
 * ```
 */
export class UnsafeArtifactError extends StoreError {
  /** The offending title, entry or link, as the artifact names it. */
  readonly path: string;
  /**
   * Creates the error.
   * @param attempted What was attempted, e.g. `pull artifact "app:1" into "./out"`.
   * @param path The offending title, entry or link, as written.
   * @param problem Why it is refused, e.g. `is absolute`.
   * @param store The directory written into.
   * @param options The cause, if any.
   */
  constructor(
    attempted: string,
    path: string,
    problem: string,
    store: string,
    options?: { cause?: unknown },
  ) {
    const shown = JSON.stringify(path.slice(0, 300));
    super(attempted, `${shown} ${problem}; refusing the artifact`, store, {
      ...options,
      code: "UNSAFE_PATH",
    });
    this.name = "UnsafeArtifactError";
    this.path = path;
  }
}
