// Test support for the archive stores (not published): temporary
// directories, running skopeo, images with real (plain or gzip) tar layers
// in an OCI layout, a small copy between stores, and hand-made tar files
// for archives no well-behaved writer would produce.

import { digestOf } from "../../ref/digest.ts";
import {
  type Descriptor,
  isImageIndex,
  isImageManifest,
  MEDIA_TYPE,
} from "../../ref/media_types.ts";
import type { ImageStore, ReadOnlyImageStore } from "../../content/store.ts";
import type { OciLayout } from "../../layout/oci_layout.ts";
import { fillRandom, tarOf } from "../../../test_support/tar.ts";
import vectors from "./hostile_archives.json" with { type: "json" };

/** An archive no well-behaved writer produces, and what opening it must say. */
export interface HostileVector {
  /** What it is. */
  name: string;
  /** Its entries, after those of a minimal layout (`HEX` names its blob). */
  entries?: (RawEntry & {
    pax?: Record<string, string>;
    truncate?: number;
    repeat?: number;
  })[];
  /** Or its whole content, repeated 8 times. */
  raw?: string;
  /** What the error says. */
  message: string;
}

/** The vectors of `hostile_archives.json`. */
export const hostile: HostileVector[] = vectors;

/** Runs `fn` in a fresh temporary directory, removed afterwards. */
export async function withTempDir(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "archive-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs skopeo; its stdout, or an error with its stderr. */
export async function skopeo(...args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("skopeo", {
    args: ["--insecure-policy", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `skopeo ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return out.stdout;
}

/** The names in a directory, sorted (hidden ones included). */
export async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** What {@linkcode makeImage} wrote. */
export interface MadeImage {
  /** The manifest's descriptor. */
  descriptor: Descriptor;
  /** Each layer's uncompressed tar. */
  tars: Uint8Array[];
  /** Each layer's blob (compressed or not). */
  layers: Descriptor[];
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Writes an image of real tar layers (random files; `gzip` ones
 * compressed) into a layout, tagged `tag` unless it is `undefined`.
 */
export async function makeImage(
  layout: OciLayout,
  tag: string | undefined,
  options: {
    layers?: { size: number; gzip?: boolean }[];
    architecture?: string;
  } = {},
): Promise<MadeImage> {
  const specs = options.layers ?? [{ size: 3000 }, { size: 5000 }];
  const tars: Uint8Array[] = [];
  const layers: Descriptor[] = [];
  for (const [i, spec] of specs.entries()) {
    const content = new Uint8Array(spec.size);
    fillRandom(content);
    const tar = await tarOf(`file-${i}.bin`, content);
    tars.push(tar);
    const blob = spec.gzip ? await gzip(tar) : tar;
    const w = await layout.writeBlob(blob);
    layers.push({
      mediaType: spec.gzip ? MEDIA_TYPE.OCI_LAYER_GZIP : MEDIA_TYPE.OCI_LAYER,
      digest: w.digest,
      size: w.size,
    });
  }
  const config = new TextEncoder().encode(JSON.stringify({
    architecture: options.architecture ?? "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: tars.map((t) => digestOf(t)) },
    config: {},
  }));
  const c = await layout.writeBlob(config);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: {
      mediaType: MEDIA_TYPE.OCI_CONFIG,
      digest: c.digest,
      size: c.size,
    },
    layers,
  }));
  const m = await layout.writeBlob(manifest);
  const descriptor = {
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    digest: m.digest,
    size: m.size,
  };
  if (tag !== undefined) await layout.setTag(tag, descriptor);
  return { descriptor, tars, layers };
}

/** Writes a two-platform index (amd64, arm64) into a layout, tagged `tag`. */
export async function makeIndex(
  layout: OciLayout,
  tag: string,
): Promise<{ descriptor: Descriptor; images: MadeImage[] }> {
  const images = [
    await makeImage(layout, undefined, { architecture: "amd64" }),
    await makeImage(layout, undefined, {
      architecture: "arm64",
      layers: [{ size: 4000, gzip: true }],
    }),
  ];
  const index = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: images.map((img, i) => ({
      ...img.descriptor,
      platform: { os: "linux", architecture: i ? "arm64" : "amd64" },
    })),
  }));
  const w = await layout.writeBlob(index);
  const descriptor = {
    mediaType: MEDIA_TYPE.OCI_INDEX,
    digest: w.digest,
    size: w.size,
  };
  await layout.setTag(tag, descriptor);
  return { descriptor, images };
}

/**
 * Copies the image (or index, with every platform) `ref` names from one
 * store to another, blobs first, the root last with `tag`.
 */
export async function copyInto(
  src: ReadOnlyImageStore,
  dst: ImageStore,
  ref: string | Descriptor,
  tag?: string,
): Promise<Descriptor> {
  const root = await src.fetchManifest(ref);
  const m = root.manifest;
  if (isImageIndex(m)) {
    for (const child of m.manifests) await copyInto(src, dst, child);
  } else if (isImageManifest(m)) {
    for (const d of [m.config, ...m.layers]) {
      await dst.push(d, await src.fetch(d));
    }
  }
  await dst.push(root.descriptor, root.bytes, {
    ...(tag !== undefined ? { tag } : {}),
    listed: typeof ref === "string",
  });
  return root.descriptor;
}

/**
 * Every digest of the graph `ref` names (root, child manifests, configs,
 * layers), each read whole through `fetch` (so verified), as
 * `digest size`, sorted.
 */
export async function graphDigests(
  store: ReadOnlyImageStore,
  ref: string | Descriptor,
): Promise<string[]> {
  const out = new Set<string>();
  const walk = async (target: string | Descriptor) => {
    const { descriptor, manifest } = await store.fetchManifest(target);
    const bytes = await new Response(await store.fetch(descriptor)).bytes();
    out.add(`${descriptor.digest} ${bytes.byteLength}`);
    if (isImageIndex(manifest)) {
      for (const child of manifest.manifests) await walk(child);
    } else if (isImageManifest(manifest)) {
      for (const d of [manifest.config, ...manifest.layers]) {
        const b = await new Response(await store.fetch(d)).bytes();
        out.add(`${d.digest} ${b.byteLength}`);
      }
    }
  };
  await walk(ref);
  return [...out].sort();
}

/** One entry of a hand-made tar. */
export interface RawEntry {
  /** The name in the header (may be anything, even hostile). */
  name: string;
  /** The type flag: `0` file (default), `1` hardlink, `2` symlink, `5` dir, `x`, `g`, `L`, `K`. */
  type?: string;
  /** The content. */
  content?: Uint8Array | string;
  /** The link target. */
  linkname?: string;
  /** Corrupt the header's checksum. */
  badChecksum?: boolean;
}

function octal(block: Uint8Array, at: number, length: number, value: number) {
  const s = value.toString(8).padStart(length - 1, "0");
  block.set(new TextEncoder().encode(s), at);
}

/** A tar file written byte by byte, with whatever names and types it is given. */
export function rawTar(
  entries: RawEntry[],
  options: { end?: boolean } = {},
): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const content = typeof e.content === "string"
      ? enc.encode(e.content)
      : e.content ?? new Uint8Array();
    const block = new Uint8Array(512);
    block.set(enc.encode(e.name).subarray(0, 100), 0);
    octal(block, 100, 8, 0o644);
    octal(block, 108, 8, 0);
    octal(block, 116, 8, 0);
    octal(block, 124, 12, content.byteLength);
    octal(block, 136, 12, 0);
    block[156] = (e.type ?? "0").charCodeAt(0);
    if (e.linkname) block.set(enc.encode(e.linkname).subarray(0, 100), 157);
    block.set(enc.encode("ustar\u000000"), 257);
    block.fill(32, 148, 156);
    let sum = block.reduce((a, b) => a + b, 0);
    if (e.badChecksum) sum += 1;
    octal(block, 148, 7, sum);
    parts.push(block, content);
    const pad = (512 - content.byteLength % 512) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  if (options.end !== false) parts.push(new Uint8Array(1024));
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** A PAX extended header's content: `"<len> key=value\n"` records. */
export function paxRecords(records: Record<string, string>): string {
  let out = "";
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length++;
    out += `${length}${body}`;
  }
  return out;
}

/** The files of a minimal valid OCI layout holding one blob, as raw entries. */
export function minimalLayout(blob = "hello"): {
  entries: RawEntry[];
  digest: string;
} {
  const digest = digestOf(blob);
  return {
    digest,
    entries: [
      { name: "oci-layout", content: '{"imageLayoutVersion":"1.0.0"}' },
      {
        name: "index.json",
        content: JSON.stringify({ schemaVersion: 2, manifests: [] }),
      },
      { name: `blobs/sha256/${digest.slice(7)}`, content: blob },
    ],
  };
}

/** The hostile archive of a vector, as bytes. */
export function hostileBytes(vector: HostileVector): Uint8Array {
  if (vector.raw) return new TextEncoder().encode(vector.raw.repeat(8));
  const base = minimalLayout();
  let truncate = 0;
  const entries: RawEntry[] = (vector.entries ?? []).map((e) => {
    const { pax, truncate: cut, repeat, ...rest } = e;
    if (cut) truncate = cut;
    const content = pax
      ? paxRecords(pax)
      : repeat && typeof rest.content === "string"
      ? rest.content.repeat(repeat)
      : rest.content;
    return {
      ...rest,
      name: rest.name.replace("HEX", base.digest.slice(7)),
      ...(content !== undefined ? { content } : {}),
    };
  });
  const tar = rawTar([...base.entries, ...entries], { end: !truncate });
  return truncate ? tar.subarray(0, tar.length - truncate) : tar;
}
