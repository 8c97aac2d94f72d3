// Private: a directory packed as oras packs one, a tar+gzip layer whose
// entries are named under the directory's title (`docs`, `docs/a.txt` …),
// with the digest of the tar before compression for the
// `io.deis.oras.content.digest` annotation. Files are streamed, never held
// whole; headers come from the package's one tar header codec
// (`lib/tar/header.ts`: long names go into PAX records).

import { lstat, open, readdir, readlink } from "node:fs/promises";
import { join } from "@std/path/posix/join";
import { DigestHasher } from "../ref/_hasher.ts";
import { encodeHeader, paddingOf, TYPEFLAG } from "../tar/header.ts";
import { StoreError } from "../errors.ts";

/** A directory as a tar+gzip stream. */
export interface PackedDirectory {
  /** The gzip-compressed tar. */
  stream: ReadableStream<Uint8Array>;
  /** The digest of the tar before compression; valid once `stream` has ended. */
  tarDigest(): string;
}

const CHUNK = 256 * 1024;
const ZEROS = new Uint8Array(1024);

/**
 * Packs `dir` into a tar (entries named `prefix`, `prefix/…`, in sorted
 * order; files, directories and symlinks, other kinds skipped; owners
 * cleared, modes and modification times kept, as oras does), gzip'ed.
 */
export function packDirectory(
  dir: string,
  prefix: string,
  signal?: AbortSignal,
): PackedDirectory {
  const hasher = new DigestHasher();
  const attempted = `pack directory "${dir}"`;
  async function* entries(
    path: string,
    name: string,
  ): AsyncGenerator<Uint8Array> {
    signal?.throwIfAborted();
    const info = await lstat(path);
    const common = {
      name,
      mode: info.mode & 0o7777,
      mtime: Math.floor(info.mtimeMs / 1000),
    };
    if (info.isDirectory()) {
      yield encodeHeader({ ...common, typeflag: TYPEFLAG.DIRECTORY });
      const children = (await readdir(path)).sort();
      for (const child of children) {
        yield* entries(join(path, child), `${name}/${child}`);
      }
    } else if (info.isSymbolicLink()) {
      yield encodeHeader({
        ...common,
        typeflag: TYPEFLAG.SYMLINK,
        linkname: await readlink(path),
      });
    } else if (info.isFile()) {
      yield encodeHeader({
        ...common,
        typeflag: TYPEFLAG.FILE,
        size: info.size,
      });
      yield* fileContent(path, info.size, attempted);
      const pad = paddingOf(info.size);
      if (pad) yield ZEROS.subarray(0, pad);
    }
  }
  async function* tar(): AsyncGenerator<Uint8Array> {
    for await (const chunk of entries(dir, prefix)) {
      hasher.update(chunk);
      yield chunk;
    }
    hasher.update(ZEROS);
    yield ZEROS;
  }
  return {
    stream: ReadableStream.from(tar()).pipeThrough(
      new CompressionStream("gzip") as unknown as TransformStream<
        Uint8Array,
        Uint8Array
      >,
    ),
    tarDigest: () => hasher.digest(),
  };
}

/** A file's bytes, exactly `size` of them (a file that changes size fails). */
async function* fileContent(
  path: string,
  size: number,
  attempted: string,
): AsyncGenerator<Uint8Array> {
  const file = await open(path, "r");
  try {
    let done = 0;
    while (done < size) {
      const buffer = new Uint8Array(Math.min(CHUNK, size - done));
      const { bytesRead } = await file.read(buffer, 0, buffer.byteLength, done);
      if (bytesRead === 0) break;
      done += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
    const extra = await file.read(new Uint8Array(1), 0, 1, done);
    if (done !== size || extra.bytesRead !== 0) {
      throw new StoreError(
        attempted,
        `"${path}" changed size while it was packed`,
        path,
      );
    }
  } finally {
    await file.close();
  }
}
