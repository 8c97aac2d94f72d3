// Private: reading and changing a layout's `index.json` on disk, safely
// with other processes writing the same layout. It is read without
// following a link; it is changed under a lock file (`index.json.lock`,
// see `_lock.ts`): read, change, write a temporary file, and rename it over
// `index.json` only if the lock is still held — so two writers never lose
// each other's entries, and a reader always sees a whole index.

import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "@std/path/posix/join";
import { StoreError } from "../errors.ts";
import type { ImageIndex } from "../ref/media_types.ts";
import { diskError, type DiskErrorFactory, tempPath } from "./_files.ts";
import { MAX_JSON_BYTES, parseIndexJson } from "./_index.ts";
import { acquireLock, LockTimeout } from "./_lock.ts";
import { readNoFollow, type UnsafePathFactory } from "./_paths.ts";

/** The lock file beside `index.json`. */
export const INDEX_LOCK = "index.json.lock";

/** A lock this old is stale whoever holds it (an update takes milliseconds). */
export const LOCK_STALE_MS = 30_000;

/** How long a writer waits for a live holder of the lock. */
export const LOCK_TIMEOUT_MS = 120_000;

/** How a layout builds its errors. */
export interface IndexFileErrors {
  /** For a file that may not be followed. */
  unsafe: UnsafePathFactory;
  /** For anything else. */
  make: DiskErrorFactory;
}

/** Reads and parses `index.json` (not through a link, at most 16 MiB). */
export async function readIndexFile(
  root: string,
  attempted: string,
  errors: IndexFileErrors,
): Promise<ImageIndex> {
  let bytes: Uint8Array;
  try {
    bytes = await readNoFollow(
      join(root, "index.json"),
      errors.unsafe,
      MAX_JSON_BYTES,
      () => errors.make(attempted, "index.json is too large", { cause: null }),
    );
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw errors.make(attempted, String(err), { cause: err });
  }
  return parseIndexJson(
    bytes,
    (problem, cause) => errors.make(attempted, problem, { cause }),
  );
}

/**
 * Changes `index.json` under the layout's lock: `change` gets the current
 * index and returns the new one (`undefined`: nothing to write). It may
 * run more than once (when the lock was lost before the rename).
 */
export async function updateIndexFile(
  root: string,
  change: (index: ImageIndex) => ImageIndex | undefined,
  errors: IndexFileErrors,
  signal?: AbortSignal,
): Promise<void> {
  const attempted = `update index.json of OCI layout "${root}"`;
  for (;;) {
    let lock;
    try {
      lock = await acquireLock(join(root, INDEX_LOCK), {
        staleMs: LOCK_STALE_MS,
        timeoutMs: LOCK_TIMEOUT_MS,
        signal,
      });
    } catch (err) {
      if (!(err instanceof LockTimeout)) throw err;
      throw errors.make(
        attempted,
        `another writer has held ${INDEX_LOCK} for over ${
          LOCK_TIMEOUT_MS / 1000
        } s (${
          err.holder || "holder unknown"
        }); remove the file if no writer is running`,
        { cause: err, code: "LOCKED" },
      );
    }
    try {
      const next = change(await readIndexFile(root, attempted, errors));
      if (next === undefined) return;
      const temp = tempPath(root, "index.json");
      try {
        await writeFile(temp, new TextEncoder().encode(JSON.stringify(next)), {
          mode: 0o644,
          flag: "wx",
        });
        // Broken as stale meanwhile (this process was stopped for long):
        // start again from the index as it now is.
        if (!(await lock.isHeld())) continue;
        await rename(temp, join(root, "index.json"));
        return;
      } catch (err) {
        throw diskError(err, attempted, temp, errors.make);
      } finally {
        await rm(temp, { force: true }).catch(() => {});
      }
    } finally {
      await lock.release().catch(() => {});
    }
  }
}
