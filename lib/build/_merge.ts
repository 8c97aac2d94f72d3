// Private: the merged filesystem of an image's layers, as tar entries,
// streamed. Layers are read from the top one down; an entry is written the
// first time its path is met, unless a layer above hides it: the same path
// (above wins), a non-directory at one of its parents (a file or symlink
// replaces a whole subtree), a whiteout `.wh.<name>` (deletes <name> and
// what is under it), or an opaque directory `.wh..wh..opq` (hides what lower
// layers have under it). Whiteouts apply to lower layers only, as the OCI
// image spec says, and are not written. Only paths are remembered, never
// content, so memory grows with the number of paths, not with the layers'
// size.
//
// Hard links: a link whose target was written from the same layer is
// written as it is (its target comes first in the output). A link whose
// target that layer also holds but a layer above hides is written after
// all layers as a file with the target's content (that layer is read a
// second time, for those targets only). A link to a path of a lower layer
// is written after all layers, when that path was written.

import type { ReadOnlyImageStore } from "../content/store.ts";
import { StoreError } from "../errors.ts";
import type { Descriptor } from "../ref/media_types.ts";
import { type TarHeader, TYPEFLAG } from "../tar/header.ts";
import { ancestorsOf } from "../tar/paths.ts";
import { readTar, type TarReadEntry } from "../tar/reader.ts";
import type { TarContentSource, TarWriteEntry } from "../tar/writer.ts";
import { gunzipOf } from "./_zlib.ts";

/** A path written above: lower entries of the same path are hidden. */
const SELF = 1;
/** A path whose lower-layer descendants are hidden. */
const CHILDREN = 2;
/** A path written (not a whiteout). */
const WRITTEN = 4;

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

/** What merging needs. */
export interface MergeOptions {
  /** Cancels reading. */
  signal?: AbortSignal;
  /** For messages: what is being done. */
  attempted: string;
}

/** The uncompressed tar of a layer blob, read (verified) from the store. */
async function layerTar(
  store: ReadOnlyImageStore,
  layer: Descriptor,
  options: MergeOptions,
): Promise<ReadableStream<Uint8Array>> {
  const type = layer.mediaType;
  if (/zstd/.test(type)) {
    throw new StoreError(
      options.attempted,
      `layer ${layer.digest} is zstd-compressed (${type}), which is not supported`,
      store.name,
    );
  }
  const stream = await store.fetch(layer, { signal: options.signal });
  return /gzip/.test(type) ? gunzipOf(stream) : stream;
}

/** The entries of one layer, content streamed. */
async function* layerEntries(
  store: ReadOnlyImageStore,
  layer: Descriptor,
  options: MergeOptions,
): AsyncGenerator<TarReadEntry> {
  yield* readTar(await layerTar(store, layer, options), {
    attempted: `${options.attempted}: read layer ${layer.digest}`,
    source: store.name,
  });
}

/** The content of an entry being read, as a source the writer fills buffers from. */
function contentSource(content: AsyncIterable<Uint8Array>): TarContentSource {
  const it = content[Symbol.asyncIterator]();
  let rest: Uint8Array | undefined;
  return {
    async read(into) {
      if (!rest || rest.byteLength === 0) {
        const next = await it.next();
        if (next.done) return 0;
        rest = next.value;
      }
      const n = Math.min(rest.byteLength, into.byteLength);
      into.set(rest.subarray(0, n));
      rest = rest.subarray(n);
      return n;
    },
  };
}

/** The header written for an entry: its normalised name, the rest kept. */
function outputHeader(
  entry: { name: string; header: TarHeader; size: number; linkTarget?: string },
  name = entry.name,
): TarHeader {
  const h: TarHeader = { ...entry.header, name, size: entry.size };
  if (h.typeflag === TYPEFLAG.DIRECTORY) h.name = `${name}/`;
  if (entry.linkTarget !== undefined) h.linkname = entry.linkTarget;
  return h;
}

/** A basename and its directory (`"."` at the root). */
function split(name: string): { dir: string; base: string } {
  const at = name.lastIndexOf("/");
  return at < 0
    ? { dir: ".", base: name }
    : { dir: name.slice(0, at), base: name.slice(at + 1) };
}

/** The merged filesystem of `layers` (base first), as tar entries. */
export async function* mergedEntries(
  store: ReadOnlyImageStore,
  layers: readonly Descriptor[],
  options: MergeOptions,
): AsyncGenerator<TarWriteEntry> {
  const above = new Map<string, number>();
  /** Hard links to targets hidden above, per layer: target → link names. */
  const rematerialize = new Map<number, Map<string, string[]>>();
  /** Hard links to lower layers' paths, written at the end. */
  const lateLinks: TarHeader[] = [];
  /** Whether an opaque root hides every lower layer. */
  let allHidden = false;

  const hidden = (name: string): boolean => {
    if ((above.get(name) ?? 0) & SELF) return true;
    for (const parent of ancestorsOf(name)) {
      if ((above.get(parent) ?? 0) & CHILDREN) return true;
    }
    return false;
  };

  for (let i = layers.length - 1; i >= 0 && !allHidden; i--) {
    const here = new Map<string, number>();
    /** This layer's regular files: written, or hidden from above. */
    const files = new Map<string, boolean>();
    const mark = (name: string, flags: number) =>
      here.set(name, (here.get(name) ?? 0) | flags);
    for await (const entry of layerEntries(store, layers[i], options)) {
      options.signal?.throwIfAborted();
      const { name, header } = entry;
      if (name === ".") continue;
      const { dir, base } = split(name);
      if (base.startsWith(WHITEOUT)) {
        if (base === OPAQUE) {
          if (dir === ".") allHidden = true;
          else mark(dir, CHILDREN);
        } else if (!base.startsWith(`${WHITEOUT}${WHITEOUT}`)) {
          const target = base.slice(WHITEOUT.length);
          mark(dir === "." ? target : `${dir}/${target}`, SELF | CHILDREN);
        }
        continue;
      }
      const isFile = header.typeflag === TYPEFLAG.FILE ||
        header.typeflag === "7";
      // A whiteout hides lower layers only; a path met twice in one layer
      // is written once.
      if (hidden(name) || (here.get(name) ?? 0) & WRITTEN) {
        if (isFile) files.set(name, files.get(name) ?? false);
        continue;
      }
      const isDir = header.typeflag === TYPEFLAG.DIRECTORY;
      mark(name, isDir ? SELF | WRITTEN : SELF | CHILDREN | WRITTEN);
      if (header.typeflag === TYPEFLAG.HARDLINK) {
        const target = entry.linkTarget!;
        const state = files.get(target);
        if (state === true || (here.get(target) ?? 0) & WRITTEN) {
          yield { header: outputHeader(entry) };
          files.set(name, true);
        } else if (state === false) {
          let links = rematerialize.get(i);
          if (!links) rematerialize.set(i, links = new Map());
          links.set(target, [...links.get(target) ?? [], name]);
        } else {
          lateLinks.push(outputHeader(entry));
        }
        continue;
      }
      if (isFile) files.set(name, true);
      if (entry.size > 0) {
        yield {
          header: outputHeader(entry),
          open: () => contentSource(entry.content),
        };
      } else {
        yield { header: outputHeader(entry) };
      }
    }
    for (const [name, flags] of here) {
      above.set(name, (above.get(name) ?? 0) | flags);
    }
  }

  // Hard links whose target a layer above hid: their content, from a
  // second read of their layer.
  for (const [i, links] of rematerialize) {
    for await (const entry of layerEntries(store, layers[i], options)) {
      const names = links.get(entry.name);
      if (!names || entry.header.typeflag === TYPEFLAG.HARDLINK) continue;
      links.delete(entry.name);
      const [first, ...rest] = names;
      yield {
        header: outputHeader(entry, first),
        open: () => contentSource(entry.content),
      };
      for (const name of rest) {
        yield {
          header: {
            ...outputHeader(entry, name),
            typeflag: TYPEFLAG.HARDLINK,
            linkname: first,
            size: 0,
          },
        };
      }
      // Read on to the end all the same: the layer is verified at its end.
    }
  }
  for (const header of lateLinks) {
    if ((above.get(header.linkname ?? "") ?? 0) & WRITTEN) yield { header };
  }
}
