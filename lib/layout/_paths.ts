// Private: paths inside a layout's root are never followed through a
// symlink. Directories (`blobs/`, `blobs/<alg>/`) are checked with `lstat`
// before they are used; files are opened with `O_NOFOLLOW` (an `lstat`
// first where the platform has no such flag). A symlink, or something that
// is not a directory where one should be, is refused with a typed error:
// whatever `index.json` or a digest says, nothing outside the root is read
// or written. (The root itself is the caller's path and may be a link.)
// The checks use the synchronous `lstat`: a few microseconds, where the
// asynchronous one costs a trip through the thread pool (about 1 ms per
// blob under load when hundreds of small blobs move).

import { constants, lstatSync } from "node:fs";
import { openReadHandle, type ReadHandle } from "./_read_handle.ts";
import { join } from "@std/path/posix/join";
import { errorCode, isMissing } from "./_files.ts";

/** `O_NOFOLLOW`, or 0 where the platform has none (Windows). */
const O_NOFOLLOW: number = constants.O_NOFOLLOW ?? 0;

/** Builds the error for a path that is a link or not what it should be. */
export type UnsafePathFactory = (path: string, problem: string) => Error;

/**
 * Checks that each of `parts` below `root` (each one deeper:
 * `["blobs", "sha256"]` checks `blobs` then `blobs/sha256`) is a real
 * directory, not a symlink.
 *
 * @returns `false` when one is missing (those below it are not checked).
 * @throws What `unsafe` builds, for a symlink or a non-directory.
 */
export function checkDirs(
  root: string,
  parts: readonly string[],
  unsafe: UnsafePathFactory,
): boolean {
  let path = root;
  for (const part of parts) {
    path = join(path, part);
    let info;
    try {
      info = lstatSync(path);
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
    if (info.isSymbolicLink()) {
      throw unsafe(path, "it is a symbolic link; links are not followed");
    }
    if (!info.isDirectory()) throw unsafe(path, "it is not a directory");
  }
  return true;
}

/**
 * Opens a file for reading without following a symlink.
 *
 * @throws What `unsafe` builds when it is a symlink or not a regular file;
 * the file-system error (`ENOENT` …) otherwise.
 */
export async function openNoFollow(
  path: string,
  unsafe: UnsafePathFactory,
): Promise<ReadHandle> {
  // lstat first, then open with O_NOFOLLOW, then check that what was opened
  // is what lstat saw: a link is refused even where the flag is not honoured
  // (it is not on every runtime). A file replaced in between (another
  // writer renaming index.json into place) is looked at again.
  for (let attempt = 1;; attempt++) {
    const before = lstatSync(path);
    if (before.isSymbolicLink()) {
      throw unsafe(path, "it is a symbolic link; links are not followed");
    }
    let file: ReadHandle;
    try {
      file = await openReadHandle(path, constants.O_RDONLY | O_NOFOLLOW);
    } catch (err) {
      if (errorCode(err) === "ELOOP" || errorCode(err) === "EMLINK") {
        throw unsafe(path, "it is a symbolic link; links are not followed");
      }
      throw err;
    }
    let same = false;
    try {
      const info = await file.stat();
      if (!info.isFile()) throw unsafe(path, "it is not a regular file");
      same = info.ino === before.ino && info.dev === before.dev;
      if (!same && attempt >= 5) {
        throw unsafe(path, "it keeps changing while it is opened");
      }
    } catch (err) {
      await file.close().catch(() => {});
      throw err;
    }
    if (same) return file;
    await file.close().catch(() => {});
  }
}

/** Reads a whole (small) file without following a symlink. */
export async function readNoFollow(
  path: string,
  unsafe: UnsafePathFactory,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const file = await openNoFollow(path, unsafe);
  try {
    const { size } = await file.stat();
    if (size > maxBytes) throw tooLarge();
    const out = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await file.read(out, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === size ? out : out.subarray(0, got);
  } finally {
    await file.close();
  }
}

/**
 * `lstat` of a path, or `undefined` when it is missing.
 *
 * @throws What `unsafe` builds when it is a symlink.
 */
export function lstatNoFollow(
  path: string,
  unsafe: UnsafePathFactory,
): import("node:fs").Stats | undefined {
  let info;
  try {
    info = lstatSync(path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  if (info.isSymbolicLink()) {
    throw unsafe(path, "it is a symbolic link; links are not followed");
  }
  return info;
}
