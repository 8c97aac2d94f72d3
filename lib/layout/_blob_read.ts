// Private: reading a layout's blob as a stream verified against its digest
// (and size) while it streams. `blobs/<alg>/` must be real directories and
// the blob a regular file: nothing is read through a link.

import { SizeMismatchError } from "../errors.ts";
import { parseDigest } from "../ref/digest.ts";
import { isMissing, verifiedFileStream } from "./_files.ts";
import { checkDirs, openNoFollow, type UnsafePathFactory } from "./_paths.ts";
import { OciLayoutError, type ReadLayoutBlobOptions } from "./options.ts";

/**
 * Opens the blob `digest` of the layout at `root` (its file at `path`).
 *
 * @throws {OciLayoutError} With code `NOT_FOUND` when it is not there,
 * `UNSAFE_PATH` when a path on the way is a link.
 * @throws {SizeMismatchError} When the file's size differs from `size`.
 */
export async function readBlobFile(
  root: string,
  digest: string,
  path: string,
  options: ReadLayoutBlobOptions,
  unsafe: UnsafePathFactory,
): Promise<ReadableStream<Uint8Array>> {
  const attempted = `read blob ${digest} of OCI layout "${root}"`;
  const missing = () =>
    new OciLayoutError(attempted, "no such blob", root, { code: "NOT_FOUND" });
  const { algorithm } = parseDigest(digest);
  let file;
  try {
    if (!(await checkDirs(root, ["blobs", algorithm], unsafe))) throw missing();
    file = await openNoFollow(path, unsafe);
  } catch (err) {
    if (isMissing(err)) throw missing();
    throw err;
  }
  try {
    const { size } = await file.stat();
    if (options.size !== undefined && size !== options.size) {
      throw new SizeMismatchError(attempted, options.size, size);
    }
  } catch (err) {
    await file.close();
    throw err;
  }
  return verifiedFileStream(file, {
    digest,
    size: options.size,
    attempted,
    signal: options.signal,
  });
}
