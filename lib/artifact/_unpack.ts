// Private: unpacking a directory layer of an artifact (oras's tar+gzip,
// entries named under the layer's title) into a staging directory. The
// package's one tar reader (`lib/tar/reader.ts`) streams the entries and
// refuses absolute names, `..` and paths through the archive's own
// symlinks; on top of that every entry must stay under the title, symlinks
// must point inside it, hard links must name something inside it. Modes
// lose setuid, setgid and sticky bits; owners are not set.

import {
  link,
  lstat,
  mkdir,
  open,
  rm,
  symlink,
  utimes,
} from "node:fs/promises";
import { dirname } from "@std/path/posix/dirname";
import { join } from "@std/path/posix/join";
import {
  StoreError,
  UnsafeArtifactError,
  UnsafeTarEntryError,
} from "../errors.ts";
import { verifyingStream } from "../content/verify.ts";
import { readTar } from "../tar/reader.ts";
import { resolveLinkTarget } from "../tar/paths.ts";
import { TYPEFLAG } from "../tar/header.ts";
import { writeAll } from "../layout/_files.ts";
import { isWithin } from "./_paths.ts";

/** What {@linkcode unpackLayer} needs to know. */
export interface UnpackOptions {
  /** For messages. */
  attempted: string;
  /** The directory pulled into, for messages. */
  dir: string;
  /** The layer's media type (`…+gzip` is decompressed). */
  mediaType: string;
  /** The digest of the tar before compression, checked when given. */
  tarDigest?: string;
  signal?: AbortSignal;
}

/** Removes what is at `path` unless it is a directory (a later entry replaces it). */
async function clear(path: string): Promise<void> {
  try {
    const info = await lstat(path);
    if (!info.isDirectory()) await rm(path);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
  }
}

/**
 * Why a symlink may not be made, if it may not: its target, resolved
 * against its own directory, must stay under `title` without going through
 * another symlink of the archive (whose own target would change where a
 * later `..` leads).
 */
function linkProblem(
  name: string,
  to: string,
  title: string,
  symlinks: ReadonlyMap<string, string>,
): string | undefined {
  const outside = `is a symlink to ${JSON.stringify(to)}, outside "${title}"`;
  if (to === "" || to.startsWith("/") || to.includes("\\")) return outside;
  const resolved = resolveLinkTarget(name, to, false);
  if (resolved === undefined || !isWithin(resolved, title)) return outside;
  const path = name.split("/").slice(0, -1);
  const parts = to.split("/").filter((p) => p !== "" && p !== ".");
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === "..") path.pop();
    else path.push(parts[i]);
    if (i < parts.length - 1 && symlinks.has(path.join("/"))) {
      return `is a symlink to ${
        JSON.stringify(to)
      }, which goes through the symlink "${path.join("/")}"`;
    }
  }
  return undefined;
}

/**
 * Unpacks the tar (or tar+gzip) `stream` under `stage`: every entry must
 * be named `title` or `title/…`. Returns the number of entries written.
 *
 * @throws {UnsafeArtifactError} When an entry or link leaves the title.
 * @throws {StoreError} When the archive is malformed or uses an unsupported compression.
 */
export async function unpackLayer(
  stream: ReadableStream<Uint8Array>,
  stage: string,
  title: string,
  options: UnpackOptions,
): Promise<number> {
  const { attempted, dir } = options;
  const unsafe = (path: string, problem: string, cause?: unknown) =>
    new UnsafeArtifactError(
      attempted,
      path,
      problem,
      dir,
      cause === undefined ? undefined : { cause },
    );
  let tar = stream;
  if (/zstd$/i.test(options.mediaType)) {
    await stream.cancel();
    throw new StoreError(
      attempted,
      `the layer "${title}" is zstd-compressed (${options.mediaType}), which is not supported`,
      dir,
    );
  }
  if (/gzip$/i.test(options.mediaType)) {
    tar = tar.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<
        Uint8Array,
        Uint8Array
      >,
    );
  }
  if (options.tarDigest !== undefined) {
    tar = verifyingStream(tar, {
      digest: options.tarDigest,
      attempted: `${attempted}: check the tar of "${title}"`,
    });
  }
  let written = 0;
  const symlinks = new Map<string, string>();
  try {
    for await (
      const entry of readTar(tar, { attempted, source: `layer "${title}"` })
    ) {
      options.signal?.throwIfAborted();
      const name = entry.name;
      if (name === ".") continue;
      if (!isWithin(name, title)) {
        throw unsafe(name, `is not inside the directory "${title}"`);
      }
      const target = join(stage, name);
      const { typeflag } = entry.header;
      const mode = (entry.header.mode ?? 0o644) & 0o777;
      symlinks.delete(name);
      if (name === title && typeflag !== TYPEFLAG.DIRECTORY) {
        throw unsafe(name, "should be a directory");
      }
      if (typeflag === TYPEFLAG.DIRECTORY) {
        await clear(target);
        await mkdir(target, { recursive: true, mode: mode | 0o700 });
      } else if (
        typeflag === TYPEFLAG.FILE || typeflag === "7" || typeflag === "\0"
      ) {
        await mkdir(dirname(target), { recursive: true });
        await clear(target);
        const file = await open(target, "wx", mode);
        try {
          for await (const chunk of entry.content) await writeAll(file, chunk);
        } finally {
          await file.close();
        }
        const mtime = entry.header.mtime;
        if (mtime !== undefined && Number.isFinite(mtime)) {
          await utimes(target, mtime, mtime);
        }
      } else if (typeflag === TYPEFLAG.SYMLINK) {
        // Made at the end, once every symlink of the archive is known.
        await clear(target);
        symlinks.set(name, entry.header.linkname ?? "");
        continue;
      } else if (typeflag === TYPEFLAG.HARDLINK) {
        const to = entry.linkTarget;
        if (to === undefined || !isWithin(to, title) || to === title) {
          throw unsafe(
            name,
            `is a hard link to ${
              JSON.stringify(entry.header.linkname ?? "")
            }, outside "${title}"`,
          );
        }
        await mkdir(dirname(target), { recursive: true });
        await clear(target);
        await link(join(stage, to), target);
      } else {
        continue; // devices, FIFOs: not written
      }
      written++;
    }
    for (const [name, to] of symlinks) {
      const problem = linkProblem(name, to, title, symlinks);
      if (problem !== undefined) throw unsafe(name, problem);
      const target = join(stage, name);
      await mkdir(dirname(target), { recursive: true });
      await symlink(to, target);
      written++;
    }
  } catch (err) {
    if (err instanceof UnsafeTarEntryError) {
      throw unsafe(err.entry, "is an unsafe entry of the archive", err);
    }
    throw err;
  }
  return written;
}
