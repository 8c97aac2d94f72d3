/**
 * What {@linkcode OciLayout} takes and gives: its options, the blob it
 * wrote, and its error.
 *
 * @module
 */

import { StoreError, type StoreErrorCode } from "../errors.ts";

/**
 * A directory that is not a usable OCI image layout, or a tag or blob it
 * does not hold (then {@linkcode StoreError.code} is `NOT_FOUND`), a path
 * in it that is a symlink (`UNSAFE_PATH`), a full disk (`NO_SPACE`), a lock
 * held too long by another writer (`LOCKED`).
 *
 * @example
 * ```ts
 * import { OciLayout, OciLayoutError } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   await OciLayout.open("/tmp/not-a-layout");
 * } catch (err) {
 *   if (err instanceof OciLayoutError) console.error(err.message);
 * }
 * ```
 */
export class OciLayoutError extends StoreError {
  /** The layout directory. */
  readonly path: string;

  /**
   * Creates the error.
   *
   * @param attempted What was attempted, e.g. `open OCI layout "./x"`.
   * @param problem What is wrong.
   * @param path The layout directory.
   * @param options The cause, if any; a {@linkcode StoreErrorCode}.
   */
  constructor(
    attempted: string,
    problem: string,
    path: string,
    options?: { cause?: unknown; code?: StoreErrorCode },
  ) {
    super(attempted, problem, path, options);
    this.name = "OciLayoutError";
    this.path = path;
  }
}

/** Options of {@linkcode OciLayout.open}. */
export interface OpenLayoutOptions {
  /**
   * Create the layout when the directory is missing or empty: `true` at
   * once, `"on-write"` at the first write (a copy that finds nothing to
   * write leaves no directory behind; reads see an empty layout).
   * @default {false}
   */
  create?: boolean | "on-write";
  /** The tag or digest calls use when they name none (`oci:DIR:TAG`). */
  reference?: string;
  /**
   * Hash a blob already in the layout (once per instance, at disk speed)
   * before relying on it: before a copy skips it, a tag points at it. A
   * blob that does not match its digest is then written again. `false`
   * trusts any file of the right name and size, for disks you trust.
   * @default {true}
   */
  verifyExisting?: boolean;
  /**
   * With `create`, remove the layout's stale temporary files on opening it
   * (those of processes that are gone: see
   * {@linkcode removeStaleLayoutFiles}).
   * @default {true}
   */
  removeStale?: boolean;
}

/** Options of reading a blob from a layout. */
export interface ReadLayoutBlobOptions {
  /** The expected size (from a descriptor); checked before and while reading. */
  size?: number;
  /** Cancels the read. */
  signal?: AbortSignal;
}

/** Options of {@linkcode OciLayout.writeBlob}. */
export interface WriteLayoutBlobOptions {
  /** The digest the content must have; computed (sha256) when not given. */
  digest?: string;
  /** The size the content must have, when known. */
  size?: number;
  /** Cancels the write; the temporary file is removed. */
  signal?: AbortSignal;
  /**
   * The source stream checks itself against `digest` and errors on a
   * mismatch (as `createBlobReadStream` does): the layout does not hash it
   * a second time. Needs `digest`; the size is still checked. Streams from
   * a store's `fetch()` are recognised without it.
   * @default {false}
   */
  verified?: boolean;
  /** Called with the number of bytes written, as they are. */
  onBytes?: (bytes: number) => void;
}

/** What {@linkcode OciLayout.writeBlob} wrote. */
export interface WrittenLayoutBlob {
  /** The blob's digest. */
  digest: string;
  /** Its size in bytes. */
  size: number;
  /** The blob file. */
  path: string;
  /** `true` when the blob was already there (nothing was written). */
  existed: boolean;
}
