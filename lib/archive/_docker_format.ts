// Private: the `docker save` format. Reading: `manifest.json` (Config,
// RepoTags, Layers) and, when the archive also holds an OCI layout (docker
// 25+ and this package write one), `index.json`, whose manifests keep their
// exact bytes; an image found only in `manifest.json` gets a Docker schema 2
// manifest made up from its files. Writing: `index.json` entries named as
// docker's containerd image store names them, `manifest.json` with one entry
// per image, and `repositories`.

import { StoreError } from "../errors.ts";
import { digestOf, isDigest } from "../ref/digest.ts";
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  isImageIndex,
  isImageManifest,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import { parseRepoAndRef } from "../ref/reference.ts";
import { REF_NAME_ANNOTATION } from "../layout/_index.ts";
import {
  type ArchiveContent,
  blobName,
  digestOfBlobName,
  type MetaFile,
  readManifest,
  readOciIndex,
} from "./_content.ts";
import {
  isGzip,
  resolveInArchive,
  safeEntryName,
  type TarEntry,
} from "./_tar_index.ts";

/** The media type of an uncompressed Docker layer. */
export const DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";

/** The annotation docker's containerd image store names an image by. */
export const CONTAINERD_NAME_ANNOTATION = "io.containerd.image.name";

/** An image (or index) the archive lists, with its `name:tag`s. */
export interface DockerRoot {
  /** The manifest's descriptor. */
  descriptor: Descriptor;
  /** Its tags, as `docker save` writes RepoTags: `app:1`, `ghcr.io/o/app:1`. */
  tags: string[];
  /** Whether it is listed without a tag too (it stays when untagged). */
  listed: boolean;
}

/** One entry of `manifest.json`. */
interface ManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/**
 * A reference as `docker save` writes RepoTags: the short name (`app`,
 * `org/app`, `ghcr.io/org/app`) and the tag (`latest` when none is given).
 *
 * @throws {InvalidReferenceError} When it does not parse.
 */
export function familiarTag(reference: string): string {
  const ref = parseRepoAndRef(reference);
  return `${ref.localName}:${ref.tag ?? "latest"}`;
}

/** A RepoTag as read: normalised when it parses, else as it is. */
function readTag(tag: string): string {
  try {
    return familiarTag(tag);
  } catch {
    return tag;
  }
}

/** The `index.json` annotations that name a `name:tag`, as docker writes them. */
function nameAnnotations(tag: string): Record<string, string> {
  try {
    const ref = parseRepoAndRef(tag);
    const t = ref.tag ?? "latest";
    return {
      [CONTAINERD_NAME_ANNOTATION]: `${ref.index.name}/${ref.remoteName}:${t}`,
      [REF_NAME_ANNOTATION]: t,
    };
  } catch {
    return { [REF_NAME_ANNOTATION]: tag };
  }
}

/** A descriptor without the annotations that name it. */
function unnamed(d: Descriptor): Descriptor {
  const { annotations, ...rest } = d;
  const others = { ...annotations };
  delete others[REF_NAME_ANNOTATION];
  delete others[CONTAINERD_NAME_ANNOTATION];
  return Object.keys(others).length ? { ...rest, annotations: others } : rest;
}

function isImageConfig(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPE.DOCKER_CONFIG ||
    mediaType === MEDIA_TYPE.OCI_CONFIG;
}

/** Parses `manifest.json`. */
function parseItems(
  bytes: Uint8Array,
  fail: (p: string) => Error,
): ManifestItem[] {
  let items: unknown;
  try {
    items = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw fail("manifest.json is not JSON");
  }
  if (!Array.isArray(items)) throw fail("manifest.json is not a list");
  for (const item of items) {
    if (
      typeof item !== "object" || item === null ||
      typeof item.Config !== "string" || !Array.isArray(item.Layers) ||
      !item.Layers.every((l: unknown) => typeof l === "string") ||
      !(item.RepoTags === undefined || item.RepoTags === null ||
        (Array.isArray(item.RepoTags) &&
          item.RepoTags.every((t: unknown) => typeof t === "string")))
    ) {
      throw fail("manifest.json has an entry without Config and Layers");
    }
  }
  return items as ManifestItem[];
}

/** What {@linkcode loadDockerArchive} finds. */
export interface LoadedDockerArchive {
  /** The images, tagged or listed. */
  roots: DockerRoot[];
  /** The root of each `manifest.json` entry, in order (for `@N`). */
  items: Descriptor[];
}

/**
 * Reads what a docker archive lists.
 *
 * @throws {StoreError} When it has neither `manifest.json` nor an OCI
 * layout, when they are malformed, or name files the archive lacks or
 * that leave it.
 */
export async function loadDockerArchive(
  content: ArchiveContent,
  attempted: string,
): Promise<LoadedDockerArchive> {
  const fail = (problem: string) =>
    new StoreError(attempted, problem, content.path);
  const manifestJson = await content.readEntry("manifest.json");
  const hasLayout = content.entry("oci-layout") !== undefined;
  if (!manifestJson && !hasLayout) {
    throw fail("no manifest.json: it is not a docker archive");
  }
  const roots: DockerRoot[] = [];
  const byDigest = new Map<string, DockerRoot>();
  // The image (and the root listing it) each config digest belongs to.
  const byConfig = new Map<string, { root: DockerRoot; image: Descriptor }>();
  const addTags = (root: DockerRoot, tags: string[]) => {
    for (const t of tags) if (!root.tags.includes(t)) root.tags.push(t);
  };

  if (hasLayout) {
    const index = await readOciIndex(content, attempted);
    for (const entry of index.manifests) {
      const a = entry.annotations ?? {};
      const name = a[CONTAINERD_NAME_ANNOTATION] ??
        (a[REF_NAME_ANNOTATION]?.includes(":")
          ? a[REF_NAME_ANNOTATION]
          : undefined);
      let root = byDigest.get(entry.digest);
      if (!root) {
        root = { descriptor: unnamed(entry), tags: [], listed: false };
        byDigest.set(entry.digest, root);
        roots.push(root);
      }
      if (name !== undefined) addTags(root, [readTag(name)]);
      else root.listed = true;
    }
    // Which image (by config) each root is, to match manifest.json's.
    for (const root of roots) {
      for (const [config, image] of await imagesOf(content, root.descriptor)) {
        if (!byConfig.has(config)) byConfig.set(config, { root, image });
      }
    }
  }

  const items: Descriptor[] = [];
  const list = manifestJson ? parseItems(manifestJson, (p) => fail(p)) : [];
  for (const item of list) {
    const tags = (item.RepoTags ?? []).map(readTag);
    const config = fileEntry(content, item.Config, attempted);
    const configDigest = digestOfBlobName(config.name) ??
      legacyDigest(config.name) ??
      await content.hashEntry(config);
    if (!digestOfBlobName(config.name)) content.addAlias(configDigest, config);
    let found = byConfig.get(configDigest);
    if (!found) {
      const made = await synthesize(
        content,
        item,
        config,
        configDigest,
        attempted,
      );
      const root = { descriptor: made, tags: [], listed: false };
      found = { root, image: made };
      byDigest.set(made.digest, root);
      byConfig.set(configDigest, found);
      roots.push(root);
    }
    addTags(found.root, tags);
    if (!tags.length && found.root.descriptor === found.image) {
      found.root.listed = true;
    }
    items.push(found.image);
  }
  // A tag names one image: the first that has it.
  const seen = new Set<string>();
  for (const root of roots) {
    root.tags = root.tags.filter((t) => !seen.has(t) && seen.add(t));
  }
  return { roots, items };
}

/**
 * The images (config digest, manifest descriptor) of a root: itself, or the
 * images of an index the archive holds.
 */
async function imagesOf(
  content: ArchiveContent,
  descriptor: Descriptor,
): Promise<[string, Descriptor][]> {
  if (!content.has(descriptor.digest)) return [];
  const { manifest } = await readManifest(content, descriptor);
  if (isImageManifest(manifest)) {
    return [[manifest.config.digest, descriptor]];
  }
  if (!isImageIndex(manifest)) return [];
  const out: [string, Descriptor][] = [];
  for (const child of manifest.manifests) {
    if (!content.has(child.digest)) continue;
    const data = await readManifest(content, child);
    if (isImageManifest(data.manifest)) {
      out.push([data.manifest.config.digest, child]);
    }
  }
  return out;
}

/** `sha256:<hex>` for a legacy config name, `<hex>.json`. */
function legacyDigest(name: string): string | undefined {
  const m = /^([0-9a-f]{64})\.json$/.exec(name);
  return m && isDigest(`sha256:${m[1]}`) ? `sha256:${m[1]}` : undefined;
}

/**
 * The regular-file entry `manifest.json` names. A legacy `<id>/layer.tar`
 * symlink (or hardlink) to another file of the archive is taken as that file,
 * one hop, inside the archive; nothing outside it is ever read.
 */
function fileEntry(
  content: ArchiveContent,
  path: string,
  attempted: string,
): TarEntry {
  const fail = (problem: string) =>
    new StoreError(attempted, problem, content.path);
  const name = safeEntryName(path, attempted, content.path);
  const entry = name === undefined ? undefined : content.entries.get(name);
  if (!entry) {
    throw fail(`manifest.json names "${path}", which it does not hold`);
  }
  if (entry.type === "file") return entry;
  if (entry.type === "symlink" || entry.type === "hardlink") {
    const target = resolveInArchive(
      entry.name,
      entry.linkname ?? "",
      entry.type === "hardlink",
    );
    const to = target === undefined ? undefined : content.entry(target);
    if (to) return to;
    throw fail(
      `"${path}" is a ${entry.type} to "${entry.linkname}", which is not a file of the archive; not followed`,
    );
  }
  throw fail(`"${path}" is a ${entry.type}, not a file`);
}

/** A Docker schema 2 manifest made up from an image's files. */
async function synthesize(
  content: ArchiveContent,
  item: ManifestItem,
  config: TarEntry,
  configDigest: string,
  attempted: string,
): Promise<Descriptor> {
  const configBytes = await content.bytes(configDigest, config.size);
  let diffIds: unknown[] = [];
  try {
    const parsed = JSON.parse(new TextDecoder().decode(configBytes));
    if (Array.isArray(parsed?.rootfs?.diff_ids)) {
      diffIds = parsed.rootfs.diff_ids;
    }
  } catch {
    throw new StoreError(
      attempted,
      `the config "${item.Config}" is not JSON`,
      content.path,
    );
  }
  const layers: Descriptor[] = [];
  for (const [i, path] of item.Layers.entries()) {
    const entry = fileEntry(content, path, attempted);
    const gzip = isGzip(await content.head(entry, 2));
    const diffId = diffIds[i];
    // A file named by its digest, or an uncompressed layer (whose digest is
    // its diff ID), is not hashed here: it is verified when it is read.
    const digest = digestOfBlobName(entry.name) ??
      (!gzip && typeof diffId === "string" && isDigest(diffId)
        ? diffId
        : await content.hashEntry(entry));
    if (!digestOfBlobName(entry.name)) content.addAlias(digest, entry);
    layers.push({
      mediaType: gzip ? MEDIA_TYPE.DOCKER_LAYER : DOCKER_LAYER_TAR,
      size: entry.size,
      digest,
    });
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.DOCKER_MANIFEST,
    config: {
      mediaType: MEDIA_TYPE.DOCKER_CONFIG,
      size: config.size,
      digest: configDigest,
    },
    layers,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const digest = digestOf(bytes);
  content.addMemory(digest, bytes);
  return {
    mediaType: MEDIA_TYPE.DOCKER_MANIFEST,
    digest,
    size: bytes.byteLength,
  };
}

/**
 * The metadata files of a docker archive holding `roots`: `index.json`
 * (one entry per tag, named as docker names them, and one per untagged
 * root), `oci-layout`, `manifest.json` (one entry per image: an index's
 * images the archive holds, its tags on the first) and `repositories`.
 *
 * @throws {StoreError} When an image's config or layer is not in the archive.
 */
export async function dockerMetaFiles(
  content: ArchiveContent,
  roots: DockerRoot[],
  attempted: string,
): Promise<MetaFile[]> {
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: [],
  };
  const items = new Map<string, ManifestItem>();
  const repositories: Record<string, Record<string, string>> = {};
  const addItem = (digest: string, image: ImageManifest, tags: string[]) => {
    for (const d of [image.config, ...image.layers]) {
      if (!content.has(d.digest)) {
        throw new StoreError(
          attempted,
          `image ${digest} needs ${d.digest}, which the archive does not hold`,
          content.path,
        );
      }
    }
    const item = items.get(digest) ??
      {
        Config: blobName(image.config.digest),
        RepoTags: [],
        Layers: image.layers.map((l) => blobName(l.digest)),
      };
    items.set(digest, item);
    const top = (image.layers.at(-1) ?? image.config).digest.split(":")[1];
    for (const tag of tags) {
      if (!item.RepoTags!.includes(tag)) item.RepoTags!.push(tag);
      const colon = tag.lastIndexOf(":");
      (repositories[tag.slice(0, colon)] ??= {})[tag.slice(colon + 1)] = top;
    }
  };
  for (const root of roots) {
    const base = unnamed(root.descriptor);
    for (const tag of root.tags) {
      index.manifests.push({
        ...base,
        annotations: { ...base.annotations, ...nameAnnotations(tag) },
      });
    }
    if (root.listed || !root.tags.length) index.manifests.push(base);
    const { manifest } = await readManifest(content, root.descriptor);
    if (isImageManifest(manifest)) {
      if (isImageConfig(manifest.config.mediaType)) {
        addItem(root.descriptor.digest, manifest, root.tags);
      }
      continue;
    }
    if (!isImageIndex(manifest)) continue;
    let tags = root.tags;
    for (const child of manifest.manifests) {
      if (!content.has(child.digest)) continue;
      const data = await readManifest(content, child);
      if (
        isImageManifest(data.manifest) &&
        isImageConfig(data.manifest.config.mediaType)
      ) {
        addItem(child.digest, data.manifest, tags);
        tags = [];
      }
    }
  }
  const enc = new TextEncoder();
  return [
    {
      path: "oci-layout",
      bytes: enc.encode(JSON.stringify({ imageLayoutVersion: "1.0.0" })),
    },
    { path: "index.json", bytes: enc.encode(JSON.stringify(index)) },
    {
      path: "manifest.json",
      bytes: enc.encode(JSON.stringify([...items.values()])),
    },
    { path: "repositories", bytes: enc.encode(JSON.stringify(repositories)) },
  ];
}
