// The step `dreg` runs before it writes to a layout or an archive: remove
// the temporary files and staging directories that writers which are gone
// (killed, crashed, powered off) left there. Files of writers still running
// stay. What was removed is said on stderr.

import type { Io } from "./common.ts";
import { formatBytes } from "./format.ts";

/**
 * Removes the stale temporary files of the store `destination` names
 * (`oci:DIR[:TAG]`, `oci-archive:PATH`, `docker-archive:PATH`; a registry
 * has none). Never fails the command: a directory it cannot read is left
 * to the write itself to report.
 */
export async function removeStaleFor(
  destination: string,
  io: Io,
): Promise<void> {
  const { parseStoreName } = await import("../lib/content/transports.ts");
  let removed: { paths: string[]; bytes: number };
  try {
    const name = parseStoreName(destination);
    if (name.transport === "docker") return;
    if (name.transport === "oci") {
      const { removeStaleLayoutFiles } = await import(
        "../lib/layout/cleanup.ts"
      );
      removed = await removeStaleLayoutFiles(name.path);
    } else {
      const { removeStaleArchiveFiles } = await import(
        "../lib/archive/cleanup.ts"
      );
      removed = await removeStaleArchiveFiles(name.path);
    }
  } catch {
    return;
  }
  if (removed.paths.length) {
    const n = removed.paths.length;
    io.err(
      `removed ${n} stale temporary file${n === 1 ? "" : "s"} (${
        formatBytes(removed.bytes)
      }) left by writers that are gone\n`,
    );
  }
}
