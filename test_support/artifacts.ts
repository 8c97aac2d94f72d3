// Artifact test support (unpublished): images and artifacts built by hand in any
// store, hostile tar archives, and directory listings.

import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "@std/path/posix/join";
import { digestOf } from "../lib/ref/digest.ts";
import { type Descriptor, MEDIA_TYPE } from "../lib/ref/media_types.ts";
import type { ImageStore } from "../lib/content/store.ts";
import { encodeHeader, paddingOf } from "../lib/tar/header.ts";
import {
  ARTIFACT_ANNOTATION,
  EMPTY_JSON_DESCRIPTOR,
} from "../lib/artifact/types.ts";

const enc = new TextEncoder();

/** Pushes a blob of `bytes`; returns its descriptor. */
export async function putBlob(
  store: ImageStore,
  bytes: Uint8Array,
  mediaType: string,
): Promise<Descriptor> {
  const d = { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
  await store.push(d, bytes);
  return d;
}

/** Pushes a manifest (object), tagged or listed; returns its descriptor. */
export async function putManifest(
  store: ImageStore,
  manifest: Record<string, unknown>,
  tag?: string,
): Promise<Descriptor> {
  const bytes = enc.encode(JSON.stringify(manifest));
  const d = {
    mediaType: String(manifest.mediaType ?? MEDIA_TYPE.OCI_MANIFEST),
    digest: digestOf(bytes),
    size: bytes.byteLength,
  };
  await store.push(d, bytes, tag !== undefined ? { tag } : { listed: true });
  return d;
}

/** A small single-platform image (one random layer), tagged. */
export async function putImage(
  store: ImageStore,
  tag: string,
  platform = { os: "linux", architecture: "amd64" },
): Promise<Descriptor> {
  const layer = crypto.getRandomValues(new Uint8Array(64));
  const l = await putBlob(store, layer, MEDIA_TYPE.OCI_LAYER);
  const config = await putBlob(
    store,
    enc.encode(
      JSON.stringify({
        ...platform,
        rootfs: { type: "layers", diff_ids: [l.digest] },
      }),
    ),
    MEDIA_TYPE.OCI_CONFIG,
  );
  return await putManifest(store, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config,
    layers: [l],
  }, tag);
}

/** An index of two platform images, tagged; returns it and its children. */
export async function putIndex(
  store: ImageStore,
  tag: string,
): Promise<{ index: Descriptor; amd64: Descriptor; arm64: Descriptor }> {
  const amd64 = await putImage(store, `${tag}-amd64`);
  const arm64 = await putImage(store, `${tag}-arm64`, {
    os: "linux",
    architecture: "arm64",
  });
  const index = await putManifest(store, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: [
      { ...amd64, platform: { os: "linux", architecture: "amd64" } },
      { ...arm64, platform: { os: "linux", architecture: "arm64" } },
    ],
  }, tag);
  return { index, amd64, arm64 };
}

/**
 * An artifact manifest built by hand (no checks), so that tests can make
 * hostile ones: layers of the given bytes and annotations.
 */
export async function putRawArtifact(
  store: ImageStore,
  layers: {
    bytes: Uint8Array;
    mediaType?: string;
    annotations: Record<string, string>;
  }[],
  options: { tag?: string; artifactType?: string; subject?: Descriptor } = {},
): Promise<Descriptor> {
  await store.push(EMPTY_JSON_DESCRIPTOR, enc.encode("{}"));
  const descriptors = [];
  for (const l of layers) {
    const d = await putBlob(
      store,
      l.bytes,
      l.mediaType ?? MEDIA_TYPE.OCI_LAYER,
    );
    descriptors.push({ ...d, annotations: l.annotations });
  }
  return await putManifest(store, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    artifactType: options.artifactType ?? "application/vnd.example.test",
    config: EMPTY_JSON_DESCRIPTOR,
    layers: descriptors,
    ...(options.subject ? { subject: options.subject } : {}),
  }, options.tag);
}

/** One entry of a hand-made tar. */
export interface RawEntry {
  name: string;
  /** `0` file (default), `5` directory, `2` symlink, `1` hard link. */
  typeflag?: string;
  content?: string;
  linkname?: string;
}

/** A tar archive of the entries as given (no checks at all), gzip'ed. */
export async function rawTarGz(entries: RawEntry[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const content = enc.encode(e.content ?? "");
    const typeflag = e.typeflag ?? "0";
    parts.push(encodeHeader({
      name: e.name,
      typeflag,
      mode: typeflag === "5" ? 0o755 : 0o644,
      size: typeflag === "0" ? content.byteLength : 0,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    }));
    if (typeflag === "0") {
      parts.push(content, new Uint8Array(paddingOf(content.byteLength)));
    }
  }
  parts.push(new Uint8Array(1024));
  return await new Response(
    new Blob(parts as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(
      new CompressionStream("gzip"),
    ),
  ).bytes();
}

/** The digest of the tar inside a gzip'ed tar. */
export async function tarDigestOf(gz: Uint8Array): Promise<string> {
  const tar = await new Response(
    new Blob([gz as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    ),
  ).bytes();
  return digestOf(tar);
}

/** The annotations of a packed directory layer titled `title`. */
export async function dirAnnotations(
  title: string,
  gz: Uint8Array,
): Promise<Record<string, string>> {
  return {
    [ARTIFACT_ANNOTATION.TITLE]: title,
    [ARTIFACT_ANNOTATION.UNPACK]: "true",
    [ARTIFACT_ANNOTATION.CONTENT_DIGEST]: await tarDigestOf(gz),
  };
}

/**
 * Every path under `dir` (recursively, symlinks not followed), with a
 * file's content, a symlink's target, or `<dir>`.
 */
export async function listTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (path: string, rel: string) => {
    for (const name of (await readdir(path)).sort()) {
      const full = join(path, name);
      const r = rel ? `${rel}/${name}` : name;
      const info = await lstat(full);
      if (info.isSymbolicLink()) out[r] = `-> ${await readlink(full)}`;
      else if (info.isDirectory()) {
        out[r] = "<dir>";
        await walk(full, r);
      } else out[r] = new TextDecoder().decode(await readFile(full));
    }
  };
  await walk(dir, "");
  return out;
}
