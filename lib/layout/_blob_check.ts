// Private: whether a layout holds a blob. The file must be a regular file
// (not a link) under real `blobs/<alg>/` directories, of the expected size;
// and, the first time a layout instance is asked about it, its content must
// hash to its name: a blob file is read once, at disk speed, and then
// remembered as verified. A file that does not match is corrupt (a torn
// write, a bad disk, a hand edit): it is reported missing, so that it is fetched
// again instead of being trusted (the new file is renamed over it).

import { ContentVerifier } from "../content/verify.ts";
import { DigestMismatchError, SizeMismatchError } from "../errors.ts";
import {
  checkDirs,
  lstatNoFollow,
  openNoFollow,
  type UnsafePathFactory,
} from "./_paths.ts";

/** The buffer a blob is hashed through. */
const HASH_CHUNK = 1024 * 1024;

/** Hashes a blob file; `true` when it matches its digest and size. */
async function matches(
  path: string,
  digest: string,
  size: number,
  unsafe: UnsafePathFactory,
): Promise<boolean> {
  const file = await openNoFollow(path, unsafe);
  const verifier = new ContentVerifier({
    digest,
    size,
    attempted: `verify blob ${digest}`,
  });
  try {
    const buffer = new Uint8Array(HASH_CHUNK);
    let position = 0;
    for (;;) {
      const { bytesRead } = await file.read(
        buffer,
        0,
        buffer.byteLength,
        position,
      );
      if (bytesRead === 0) break;
      position += bytesRead;
      verifier.update(buffer.subarray(0, bytesRead));
    }
    verifier.finish();
    return true;
  } catch (err) {
    if (
      err instanceof DigestMismatchError || err instanceof SizeMismatchError
    ) {
      return false;
    }
    throw err;
  } finally {
    await file.close();
  }
}

/** The blobs a layout instance has checked, and how it checks them. */
export class BlobChecker {
  readonly #root: string;
  readonly #verify: boolean;
  readonly #unsafe: UnsafePathFactory;
  readonly #verified = new Map<string, Promise<boolean>>();

  constructor(root: string, verify: boolean, unsafe: UnsafePathFactory) {
    this.#root = root;
    this.#verify = verify;
    this.#unsafe = unsafe;
  }

  /** Remembers a blob written (and verified) by this instance. */
  remember(digest: string): void {
    this.#verified.set(digest, Promise.resolve(true));
  }

  /** Forgets a blob (it was deleted). */
  forget(digest: string): void {
    this.#verified.delete(digest);
  }

  /**
   * Whether the blob at `path` is there, of `size` when given, and (once
   * per instance, unless verification is off) matches `digest`. A file that
   * does not match counts as missing (writing the blob replaces it).
   *
   * @throws What `unsafe` builds when `blobs/`, `blobs/<alg>/` or the file
   * is a link or not what it should be.
   */
  async has(
    digest: string,
    algorithm: string,
    path: string,
    size?: number,
  ): Promise<boolean> {
    if (!(await checkDirs(this.#root, ["blobs", algorithm], this.#unsafe))) {
      return false;
    }
    const info = await lstatNoFollow(path, this.#unsafe);
    if (info === undefined) return false;
    if (!info.isFile()) throw this.#unsafe(path, "it is not a regular file");
    if (size !== undefined && size >= 0 && info.size !== size) return false;
    if (!this.#verify) return true;
    let check = this.#verified.get(digest);
    if (check === undefined) {
      check = matches(path, digest, info.size, this.#unsafe).then(
        (ok) => {
          if (!ok) this.#verified.delete(digest);
          return ok;
        },
        (err) => {
          this.#verified.delete(digest);
          throw err;
        },
      );
      this.#verified.set(digest, check);
    }
    return await check;
  }
}
