/**
 * Removing what writers that died left in an OCI layout: their temporary
 * files, and a lock on `index.json` they held.
 *
 * Every temporary file a layout writer makes is named
 * `.tmp-<pid>-<start>-<random>-<what>` in the layout's root. One is stale
 * when its process is gone: no process has that pid, or the one that has
 * it started later (the pid was reused). Where that cannot be told (Deno
 * without `--allow-run`), a temporary file unchanged for a day is stale.
 *
 * @example
 * ```ts
 * import { removeStaleLayoutFiles } from "jsr:@scope/docker-registry-client";
 *
 * const { paths, bytes } = await removeStaleLayoutFiles("./app-oci");
 * console.log(`removed ${paths.length} files (${bytes} bytes)`);
 * ```
 *
 * @module
 */

import { join } from "@std/path/posix/join";
import { TEMP_PREFIX } from "./_files.ts";
import { INDEX_LOCK, LOCK_STALE_MS } from "./_index_file.ts";
import { removeStaleLock } from "./_lock.ts";
import { type RemovedFiles, removeStale } from "./_stale.ts";

export type { RemovedFiles } from "./_stale.ts";

/**
 * Removes the stale temporary files of an OCI layout (those of writers
 * that are gone), and its `index.json.lock` when its holder is gone; files
 * of writers still running stay. `dreg` runs it
 * before it writes to a layout, and `OciLayout.open()` with
 * `create` does too.
 *
 * @param dir The layout directory (a missing one is fine).
 * @returns The paths removed and their total size.
 *
 * @example Clean up after a pull that was killed
 * ```ts
 * import { removeStaleLayoutFiles } from "jsr:@scope/docker-registry-client";
 *
 * const removed = await removeStaleLayoutFiles("./app-oci");
 * console.log(removed.paths);
 * ```
 */
export async function removeStaleLayoutFiles(
  dir: string,
): Promise<RemovedFiles> {
  const removed = await removeStale(
    dir,
    (name) =>
      name.startsWith(TEMP_PREFIX) ? name.slice(TEMP_PREFIX.length) : null,
  );
  try {
    removed.paths.push(
      ...await removeStaleLock(join(dir, INDEX_LOCK), LOCK_STALE_MS),
    );
  } catch {
    // A lock that cannot be read is left to the next writer to report.
  }
  return removed;
}
