/**
 * Layers from files: a directory, a single file, or an existing tar
 * (`.tar`, `.tar.gz`, `.tgz`) pushed into any store as a gzip'ed layer, in
 * one streaming pass.
 *
 * ```ts ignore
 * pushLayer(store: ImageStore, path: string, options?: LayerOptions): Promise<BuiltLayer>
 * pushTarLayer(store: ImageStore, tar: ReadableStream<Uint8Array>, options?: LayerOptions): Promise<BuiltLayer>
 * interface BuiltLayer { descriptor: Descriptor; diffId: string }
 * ```
 *
 * - `descriptor` is the layer blob's descriptor (media type, digest and size
 *   of the gzip bytes) for the manifest's `layers`; `diffId` is the sha256
 *   of the uncompressed tar for the config's `rootfs.diff_ids`. Both are
 *   computed while the bytes stream: tar → sha256 (diff_id) → gzip →
 *   `store.pushBlob` (which hashes what it stores). Nothing is read twice,
 *   no layer is held in memory.
 * - A directory or a file is written as a reproducible tar: entries sorted
 *   bytewise by path, every mtime fixed (`options.mtime`, else
 *   `SOURCE_DATE_EPOCH`, else 0), uid and gid 0 with no owner names (unless
 *   `keepOwners`), permission bits kept (setuid, setgid, sticky), symlinks
 *   kept as links, one inode's later paths as hard links to its first,
 *   directories as entries, long names and large sizes in PAX records. The
 *   same files give the same `diffId` everywhere and the same layer digest
 *   with the same zlib (Deno and Bun agree; Node's zlib compresses
 *   differently).
 * - A `.tar` is compressed as it is (its bytes are the diff_id's); a
 *   `.tar.gz` / `.tgz` (or any file starting with gzip's magic) is pushed as
 *   it is, its diff_id computed by decompressing it as it streams. Either
 *   way every entry is checked as it passes: one that would leave the root
 *   fails the push with {@linkcode UnsafeTarEntryError}. `prefix`, `mtime`
 *   and `keepOwners` do not apply to tars.
 *
 * @example Push a directory as a layer into an OCI layout
 * ```ts
 * import { OciLayout, pushLayer } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./app-oci", { create: true });
 * const { descriptor, diffId } = await pushLayer(layout, "./dist", { prefix: "app/" });
 * console.log(descriptor.digest, diffId);
 * ```
 *
 * @module
 */

import { open } from "node:fs/promises";
import type { ImageStore } from "../content/store.ts";
import { type Descriptor, MEDIA_TYPE } from "../ref/media_types.ts";
import { DigestHasher } from "../ref/digest.ts";
import { TarParser } from "../tar/reader.ts";
import { TarWriter } from "../tar/writer.ts";
import { ChunkReader } from "../content/_byte_reader.ts";
import { treeEntries } from "./_fs_tree.ts";
import { sourceDateEpoch } from "./_image.ts";
import {
  type ByteSource,
  DEFAULT_GZIP_LEVEL,
  Gunzip,
  gzipOf,
} from "./_zlib.ts";

/** Options of {@linkcode pushLayer} and {@linkcode pushTarLayer}. */
export interface LayerOptions {
  /** Cancels the push; nothing is left in the store. */
  signal?: AbortSignal;
  /**
   * The mtime of every entry, in seconds since the epoch (files and
   * directories only; a tar is taken as it is).
   * @default {Number(SOURCE_DATE_EPOCH) if set, else 0}
   */
  mtime?: number;
  /**
   * Keep uid and gid from the files instead of 0, with their names (from
   * `/etc/passwd` and `/etc/group`) instead of none.
   * @default {false}
   */
  keepOwners?: boolean;
  /** A path inside the layer to put the files under, e.g. `"app/"`. */
  prefix?: string;
  /**
   * The layer's media type (use `MEDIA_TYPE.DOCKER_LAYER` for a Docker
   * manifest).
   * @default {"application/vnd.oci.image.layer.v1.tar+gzip"}
   */
  mediaType?: string;
  /** The gzip level, 1 (fast) to 9 (small). @default {6} */
  compressionLevel?: number;
  /** Called with the number of layer (compressed) bytes as they are stored. */
  onBytes?: (n: number) => void;
}

/** A layer written to a store. */
export interface BuiltLayer {
  /** The layer blob: media type, digest and size of the gzip bytes. */
  descriptor: Descriptor;
  /** The sha256 of the uncompressed tar, for `rootfs.diff_ids`. */
  diffId: string;
}

/** The mtime entries get. */
function mtimeOf(options: LayerOptions): number {
  let mtime = options.mtime;
  if (mtime === undefined) {
    const epoch = sourceDateEpoch();
    mtime = epoch ? Math.floor(epoch.getTime() / 1000) : 0;
  }
  if (!Number.isSafeInteger(mtime) || mtime < 0) {
    throw new RangeError(`Invalid layer mtime ${mtime}: expected seconds >= 0`);
  }
  return mtime;
}

/** How a path is taken. */
async function inputKind(
  path: string,
): Promise<"tree" | "tar" | "gzip"> {
  if (!/\.(tar|tar\.gz|tgz)$/i.test(path)) return "tree";
  const handle = await open(path, "r");
  try {
    const head = new Uint8Array(2);
    await handle.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b ? "gzip" : "tar";
  } finally {
    await handle.close();
  }
}

/** A file read from its start as a byte source. */
async function fileBytes(path: string): Promise<ByteSource> {
  const handle = await open(path, "r");
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  return {
    async read(into) {
      if (closed) return 0;
      const { bytesRead } = await handle.read(into, 0, into.byteLength, null);
      if (bytesRead === 0) await close();
      return bytesRead;
    },
    cancel: close,
  };
}

/** Wraps a tar source so that every byte is checked by a parser as it passes. */
function checked(source: ByteSource, parser?: TarParser): ByteSource {
  if (!parser) return source;
  return {
    async read(into) {
      const n = await source.read(into);
      if (n === 0) parser.finish();
      else parser.push(into.subarray(0, n));
      return n;
    },
    cancel: (reason) => source.cancel(reason),
  };
}

/** Pushes the gzip of an uncompressed tar source, hashing the tar on the way. */
async function pushCompressed(
  store: ImageStore,
  source: ByteSource,
  options: LayerOptions,
): Promise<BuiltLayer> {
  const level = options.compressionLevel ?? DEFAULT_GZIP_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new RangeError(`Invalid gzip level ${level}: expected 1 to 9`);
  }
  const diff = new DigestHasher();
  const gzip = gzipOf(source, (bytes) => diff.update(bytes), level);
  const descriptor = await store.pushBlob(gzip, {
    mediaType: options.mediaType ?? MEDIA_TYPE.OCI_LAYER_GZIP,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
  });
  return { descriptor, diffId: diff.digest() };
}

/** The size of the chunks a gzip tar is read in (fresh ones: a store may keep them). */
const GZIP_CHUNK = 256 * 1024;

/** Pushes a gzip tar as it is, decompressing it on the way for the diff_id. */
async function pushGzipFile(
  store: ImageStore,
  path: string,
  options: LayerOptions,
): Promise<BuiltLayer> {
  const source = await fileBytes(path);
  const diff = new DigestHasher();
  const parser = new TarParser({ entry: () => {} }, {
    attempted: `build a layer of "${path}"`,
    source: path,
  });
  const gunzip = new Gunzip((bytes) => {
    diff.update(bytes);
    parser.push(bytes);
  });
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = new Uint8Array(GZIP_CHUNK);
      const n = await source.read(chunk);
      if (n === 0) {
        await gunzip.end();
        parser.finish();
        controller.close();
        return;
      }
      const view = chunk.subarray(0, n);
      await gunzip.write(view);
      controller.enqueue(view);
    },
    async cancel(reason) {
      gunzip.destroy();
      await source.cancel(reason);
    },
  }, { highWaterMark: 0 });
  try {
    const descriptor = await store.pushBlob(stream, {
      mediaType: options.mediaType ?? MEDIA_TYPE.OCI_LAYER_GZIP,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onBytes ? { onBytes: options.onBytes } : {}),
    });
    return { descriptor, diffId: diff.digest() };
  } finally {
    gunzip.destroy();
    await source.cancel();
  }
}

/**
 * Pushes files as a layer: a directory (its content, not itself), a single
 * file (named after itself), or a tar file (`.tar`, `.tar.gz`, `.tgz`).
 * See the module doc for what is written.
 *
 * @param store Where the layer blob goes.
 * @param path The directory, file or tar.
 * @param options Time, owners, prefix, media type, progress, cancellation.
 * @returns The layer's descriptor and diff_id.
 * @throws {UnsafeTarEntryError} When a tar holds an entry that would leave the root.
 * @throws {StoreError} When a tar is malformed or a file changes while it is read.
 * @throws {RangeError} When an option (or `SOURCE_DATE_EPOCH`) is invalid.
 *
 * @example
 * ```ts
 * import { MemoryStore, pushLayer } from "jsr:@scope/docker-registry-client";
 *
 * const store = new MemoryStore();
 * const layer = await pushLayer(store, "./dist", { prefix: "app/", mtime: 0 });
 * console.log(layer.descriptor.digest, layer.diffId);
 * ```
 */
export async function pushLayer(
  store: ImageStore,
  path: string,
  options: LayerOptions = {},
): Promise<BuiltLayer> {
  options.signal?.throwIfAborted();
  const kind = await inputKind(path);
  if (kind === "gzip") return await pushGzipFile(store, path, options);
  if (kind === "tar") {
    const source = await fileBytes(path);
    try {
      const parser = new TarParser({ entry: () => {} }, {
        attempted: `build a layer of "${path}"`,
        source: path,
      });
      return await pushCompressed(store, checked(source, parser), options);
    } finally {
      await source.cancel();
    }
  }
  const entries = await treeEntries(path, {
    mtime: mtimeOf(options),
    keepOwners: options.keepOwners ?? false,
    prefix: options.prefix ?? "",
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const writer = new TarWriter(entries, {
    ...(options.signal ? { signal: options.signal } : {}),
    attempted: `build a layer of "${path}"`,
    source: path,
  });
  try {
    return await pushCompressed(store, writer, options);
  } finally {
    await writer.cancel();
  }
}

/**
 * Pushes an uncompressed tar stream as a gzip'ed layer, its bytes kept as
 * they are (they are the diff_id's) and every entry checked as it passes.
 *
 * @param store Where the layer blob goes.
 * @param tar The tar.
 * @param options Media type, gzip level, progress, cancellation (`mtime`,
 * `keepOwners` and `prefix` do not apply).
 * @returns The layer's descriptor and diff_id.
 * @throws {UnsafeTarEntryError} When an entry would leave the root.
 * @throws {StoreError} When the tar is malformed.
 *
 * @example
 * ```ts
 * import { MemoryStore, pushTarLayer } from "jsr:@scope/docker-registry-client";
 *
 * const tar = (await fetch("file:///tmp/rootfs.tar")).body!;
 * console.log(await pushTarLayer(new MemoryStore(), tar));
 * ```
 */
export async function pushTarLayer(
  store: ImageStore,
  tar: ReadableStream<Uint8Array>,
  options: LayerOptions = {},
): Promise<BuiltLayer> {
  options.signal?.throwIfAborted();
  const reader = new ChunkReader(tar);
  const source: ByteSource = {
    read: (into) => reader.read(into),
    cancel: (reason) => reader.cancel(reason),
  };
  const parser = new TarParser({ entry: () => {} }, {
    attempted: "build a layer of a tar stream",
    source: "tar stream",
  });
  try {
    return await pushCompressed(store, checked(source, parser), options);
  } catch (err) {
    await reader.cancel(err);
    throw err;
  }
}
