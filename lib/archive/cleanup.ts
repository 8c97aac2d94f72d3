/**
 * Removing what archive writers that died left beside an archive: the
 * hidden staging directory (`.<name>.staging-<pid>-<start>-<random>`) where
 * content waits for the archive to be written, and the temporary archive
 * (`.<name>.tmp-…`) renamed over it once whole.
 *
 * @example
 * ```ts
 * import { removeStaleArchiveFiles } from "jsr:@scope/docker-registry-client";
 *
 * console.log((await removeStaleArchiveFiles("./app.tar")).paths);
 * ```
 *
 * @module
 */

import type { RemovedFiles } from "../layout/cleanup.ts";
import { removeStaleBeside } from "../layout/_atomic_file.ts";

/**
 * Removes the staging directories and temporary files beside an archive
 * whose writers are gone (no process has their pid, or a later one has
 * it); those of writers still running stay. `dreg` runs it before it
 * writes an archive, and opening an archive with `create` does too.
 *
 * @param path The archive's path (it need not exist).
 * @returns The paths removed and the size of the files among them.
 *
 * @example Clean up after a copy into an archive that was killed
 * ```ts
 * import { removeStaleArchiveFiles } from "jsr:@scope/docker-registry-client";
 *
 * const { paths } = await removeStaleArchiveFiles("./app.tar");
 * console.log(paths);
 * ```
 */
export function removeStaleArchiveFiles(path: string): Promise<RemovedFiles> {
  return removeStaleBeside(path);
}
