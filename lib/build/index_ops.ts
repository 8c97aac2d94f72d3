/**
 * Multi-platform indexes: {@linkcode createIndex} makes an index of images
 * (each entry's platform read from the image's config), and
 * {@linkcode addToIndex} / {@linkcode removeFromIndex} change one, with
 * annotations on the index. The result is an OCI image index, or a Docker
 * manifest list when every image is a Docker manifest (as crane does).
 * Images from other stores are copied into the index's store first, only
 * what it lacks.
 *
 * @example Two single-platform images become one multi-platform tag
 * ```ts
 * import { createIndex, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const target = new RegistryStore("http://127.0.0.1:5000/app:1", { access: "push" });
 * const result = await createIndex(target, {
 *   images: [
 *     { store: new RegistryStore("http://127.0.0.1:5000/app:1-amd64") },
 *     { store: new RegistryStore("http://127.0.0.1:5000/app:1-arm64") },
 *   ],
 * });
 * console.log(result.descriptor.digest, result.manifests.map((d) => d.platform));
 * ```
 *
 * @module
 */

import type {
  ImageStore,
  ManifestData,
  ReadOnlyImageStore,
} from "../content/store.ts";
import { isDigest } from "../ref/digest.ts";
import {
  type Descriptor,
  type ImageIndex,
  isImageIndex,
  isImageManifest,
  MEDIA_TYPE,
  type Platform,
} from "../ref/media_types.ts";
import {
  formatPlatform,
  parsePlatform,
  type PlatformSpec,
  selectPlatform,
} from "../ref/platform.ts";
import {
  concurrencyOf,
  copyTree,
  destinationName,
  fetchRoot,
  indexPlatforms,
  isAttestation,
  platformOfConfig,
  pushJson,
  readImageConfig,
  storeProblem,
  targetTag,
  type Transfer,
} from "./_image.ts";

/** An image (or the images of an index) to list in an index. */
export interface IndexImage {
  /** The store it is in. */
  store: ReadOnlyImageStore;
  /** Its tag or digest; by default the store's reference. */
  reference?: string;
  /**
   * When it is an index: only this platform's image; by default every
   * entry of it is listed.
   */
  platform?: string | PlatformSpec;
}

/** What every index operation takes. */
export interface IndexOptions {
  /**
   * The tag the index is written under; by default the destination's
   * reference when it is a tag.
   */
  tag?: string;
  /** Annotations of the index to set, or remove with `null`. */
  annotations?: Record<string, string | null>;
  /**
   * The index's media type; by default an OCI image index, or a Docker
   * manifest list when every entry is a Docker manifest (and an index
   * being changed is not already an OCI index).
   */
  mediaType?:
    | typeof MEDIA_TYPE.OCI_INDEX
    | typeof MEDIA_TYPE.DOCKER_MANIFEST_LIST;
  /**
   * How many blobs are copied at once from another store.
   * @default {4}
   */
  concurrency?: number;
  /** Cancels the operation. */
  signal?: AbortSignal;
}

/** Options of {@linkcode createIndex}. */
export interface CreateIndexOptions extends IndexOptions {
  /** The images to list, in order. */
  images: IndexImage[];
}

/** Options of {@linkcode addToIndex}. */
export interface AddToIndexOptions extends IndexOptions {
  /** The index's tag or digest; by default the store's reference. */
  reference?: string;
  /** The images to add (an entry of the same platform is replaced). */
  images?: IndexImage[];
}

/** Options of {@linkcode removeFromIndex}. */
export interface RemoveFromIndexOptions extends IndexOptions {
  /** The index's tag or digest; by default the store's reference. */
  reference?: string;
  /** Entries to remove, by manifest digest. */
  digests?: string[];
  /** Entries to remove, by platform (`linux/arm64`; a variant left out matches any). */
  platforms?: (string | PlatformSpec)[];
}

/** What an index operation wrote. */
export interface IndexResult {
  /** The index. */
  descriptor: Descriptor;
  /** The tag it was written under, if any. */
  tag?: string;
  /** Where it went: a reference, or `DIR:TAG` for a layout. */
  destination: string;
  /** Its entries, in order. */
  manifests: Descriptor[];
}

function transferTo(
  target: ImageStore,
  source: ReadOnlyImageStore,
  options: IndexOptions,
): Transfer {
  return {
    source,
    target,
    concurrency: concurrencyOf(options.concurrency),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** The index entry of an image manifest: its platform read from its config. */
async function entryOf(
  store: ReadOnlyImageStore,
  data: ManifestData,
  signal?: AbortSignal,
): Promise<Descriptor> {
  const m = data.manifest;
  const entry: Descriptor = {
    mediaType: data.descriptor.mediaType,
    digest: data.descriptor.digest,
    size: data.descriptor.size,
  };
  if (!isImageManifest(m)) return entry;
  if (
    m.config.mediaType === MEDIA_TYPE.OCI_CONFIG ||
    m.config.mediaType === MEDIA_TYPE.DOCKER_CONFIG
  ) {
    const { config } = await readImageConfig(store, m.config, signal);
    entry.platform = platformOfConfig(config);
    if (!entry.platform.os || !entry.platform.architecture) {
      throw storeProblem(
        store,
        `list ${data.descriptor.digest} of "${store.name}" in an index`,
        "its config names no os or architecture",
      );
    }
  } else {
    entry.artifactType = m.artifactType ?? m.config.mediaType;
  }
  return entry;
}

/**
 * The entries an image contributes (with their content copied to the
 * target): an image manifest is one entry; an index gives its entries.
 */
async function entriesOf(
  target: ImageStore,
  image: IndexImage,
  options: IndexOptions,
): Promise<Descriptor[]> {
  const { store } = image;
  const { signal } = options;
  const t = transferTo(target, store, options);
  const root = await fetchRoot(store, image.reference, signal);
  if (!isImageIndex(root.manifest)) {
    const entry = await entryOf(store, root, signal);
    await copyTree(t, root);
    return [entry];
  }
  let children = root.manifest.manifests;
  if (image.platform !== undefined) {
    const want = typeof image.platform === "string"
      ? parsePlatform(image.platform)
      : image.platform;
    const chosen = selectPlatform(root.manifest, want);
    if (!chosen) {
      const have = indexPlatforms(root.manifest);
      throw storeProblem(
        store,
        `select platform ${formatPlatform(want)} from "${store.name}"`,
        `the index has ${have.length ? have.join(", ") : "no platforms"}`,
      );
    }
    children = [chosen];
  }
  for (const child of children) {
    await copyTree(t, await store.fetchManifest(child, { signal }));
  }
  return children.map((d) => structuredClone(d));
}

function samePlatform(a?: Platform, b?: Platform): boolean {
  if (!a || !b) return false;
  return formatPlatform(a) === formatPlatform(b) &&
    (a["os.version"] ?? "") === (b["os.version"] ?? "");
}

/**
 * Adds entries: one of the same digest is replaced, as is an image of the
 * same platform (with the attestations that described it).
 */
function merge(entries: Descriptor[], added: Descriptor[]): Descriptor[] {
  let out = [...entries];
  for (const entry of added) {
    const at = out.findIndex((d) =>
      d.digest === entry.digest ||
      (!isAttestation(entry) && !isAttestation(d) &&
        samePlatform(d.platform, entry.platform))
    );
    if (at < 0) {
      out.push(entry);
      continue;
    }
    const old = out[at].digest;
    out[at] = entry;
    if (old !== entry.digest) out = withoutAttestationsOf(out, new Set([old]));
  }
  return out;
}

/** Drops the attestations that describe the manifests given. */
function withoutAttestationsOf(
  entries: Descriptor[],
  gone: Set<string>,
): Descriptor[] {
  return entries.filter((d) => {
    const about = d.annotations?.["vnd.docker.reference.digest"];
    return !(isAttestation(d) && about !== undefined && gone.has(about));
  });
}

function indexMediaType(
  entries: Descriptor[],
  options: IndexOptions,
  existing?: string,
): string {
  if (options.mediaType) return options.mediaType;
  if (existing === MEDIA_TYPE.OCI_INDEX) return existing;
  const docker = entries.length > 0 &&
    entries.every((d) =>
      d.mediaType === MEDIA_TYPE.DOCKER_MANIFEST ||
      d.mediaType === MEDIA_TYPE.DOCKER_MANIFEST_LIST
    );
  return docker ? MEDIA_TYPE.DOCKER_MANIFEST_LIST : MEDIA_TYPE.OCI_INDEX;
}

/** Writes the index; returns what was written. */
async function writeIndex(
  target: ImageStore,
  base: Partial<ImageIndex>,
  entries: Descriptor[],
  options: IndexOptions & { existing?: string },
): Promise<IndexResult> {
  const tag = targetTag(target, options.tag);
  const mediaType = indexMediaType(entries, options, options.existing);
  const index: ImageIndex = {
    ...base,
    schemaVersion: 2,
    mediaType,
    manifests: entries,
  };
  const annotations = { ...(base.annotations ?? {}) };
  for (const [k, v] of Object.entries(options.annotations ?? {})) {
    if (v === null) delete annotations[k];
    else annotations[k] = String(v);
  }
  if (Object.keys(annotations).length > 0) index.annotations = annotations;
  else delete index.annotations;
  const descriptor = await pushJson(target, mediaType, index, {
    signal: options.signal,
    listed: tag === undefined,
    ...(tag !== undefined ? { tag } : {}),
  });
  return {
    descriptor,
    ...(tag !== undefined ? { tag } : {}),
    destination: destinationName(target, tag),
    manifests: entries,
  };
}

/**
 * Creates an index of images: each image manifest becomes an entry with the
 * platform its config declares (`os`, `architecture`, `variant`,
 * `os.version`, `os.features`); an index given contributes its entries. An
 * image listed twice is listed once; a later image of a platform already
 * listed replaces the earlier. What the destination lacks is copied from
 * each image's store.
 *
 * @param target Where the index is written (and the images copied).
 * @param options The images, the tag, annotations, media type.
 * @returns The index written and its entries.
 * @throws {TypeError} When no image is given, or the destination names a digest.
 * @throws {NotFoundError} (registry) or {StoreError} (others) when an image is not there.
 *
 * @example From two OCI layouts into a registry
 * ```ts
 * import { createIndex, OciLayout, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * await createIndex(new RegistryStore("http://127.0.0.1:5000/app:1", { access: "push" }), {
 *   images: [
 *     { store: await OciLayout.open("./amd64-oci"), reference: "1" },
 *     { store: await OciLayout.open("./arm64-oci"), reference: "1" },
 *   ],
 *   annotations: { "org.opencontainers.image.version": "1" },
 * });
 * ```
 */
export async function createIndex(
  target: ImageStore,
  options: CreateIndexOptions,
): Promise<IndexResult> {
  if (!Array.isArray(options?.images) || options.images.length === 0) {
    throw new TypeError("Cannot create an index of no images");
  }
  targetTag(target, options.tag);
  let entries: Descriptor[] = [];
  for (const image of options.images) {
    entries = merge(entries, await entriesOf(target, image, options));
  }
  return await writeIndex(target, {}, entries, options);
}

/** Reads the index to change from the target. */
async function readIndex(
  target: ImageStore,
  reference: string | undefined,
  signal?: AbortSignal,
): Promise<{ data: ManifestData; index: ImageIndex }> {
  const data = await fetchRoot(target, reference, signal);
  if (!isImageIndex(data.manifest)) {
    throw storeProblem(
      target,
      `change the index "${target.name}"`,
      `${data.descriptor.digest} is an image manifest, not an index`,
    );
  }
  return { data, index: structuredClone(data.manifest) };
}

/**
 * Adds images to an index in the destination store (an entry of the same
 * platform, or the same digest, is replaced), and sets its annotations.
 * With no images, only the annotations change. The new index is written
 * under the tag (by default the reference it was read from, when a tag).
 *
 * @param target The store holding the index.
 * @param options The index's reference, the images, the tag, annotations.
 * @returns The index written and its entries.
 * @throws {NotFoundError} (registry) or {StoreError} (others) when the index
 * or an image is not there, or the reference names an image manifest.
 *
 * @example Add a platform
 * ```ts
 * import { addToIndex, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const target = new RegistryStore("http://127.0.0.1:5000/app:1", { access: "push" });
 * await addToIndex(target, { images: [{ store: new RegistryStore("http://127.0.0.1:5000/app:1-s390x") }] });
 * ```
 */
export async function addToIndex(
  target: ImageStore,
  options: AddToIndexOptions = {},
): Promise<IndexResult> {
  const { data, index } = await readIndex(
    target,
    options.reference,
    options.signal,
  );
  let entries = index.manifests;
  for (const image of options.images ?? []) {
    entries = merge(entries, await entriesOf(target, image, options));
  }
  return await writeIndex(target, index, entries, {
    ...options,
    existing: data.descriptor.mediaType,
    tag: options.tag ?? defaultTag(target, options.reference),
  });
}

/** The reference an index was read from, when it is a tag. */
function defaultTag(
  target: ImageStore,
  reference: string | undefined,
): string | undefined {
  const ref = reference ?? target.reference;
  return ref !== undefined && !isDigest(ref) ? ref : undefined;
}

/**
 * Removes entries from an index, by digest or platform (with the
 * attestations that describe them), and writes the new index under the tag
 * (by default the reference it was read from, when a tag). The manifests
 * removed stay in the store.
 *
 * @param target The store holding the index.
 * @param options The index's reference, what to remove, the tag, annotations.
 * @returns The index written and its entries.
 * @throws {TypeError} When a digest or platform given matches no entry.
 *
 * @example Drop a platform
 * ```ts
 * import { removeFromIndex, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const target = new RegistryStore("http://127.0.0.1:5000/app:1", { access: "push" });
 * await removeFromIndex(target, { platforms: ["linux/s390x"] });
 * ```
 */
export async function removeFromIndex(
  target: ImageStore,
  options: RemoveFromIndexOptions = {},
): Promise<IndexResult> {
  const { data, index } = await readIndex(
    target,
    options.reference,
    options.signal,
  );
  const gone = new Set<string>();
  for (const digest of options.digests ?? []) {
    if (!index.manifests.some((d) => d.digest === digest)) {
      throw new TypeError(
        `Cannot remove ${digest} from "${target.name}": the index does not list it`,
      );
    }
    gone.add(digest);
  }
  for (const p of options.platforms ?? []) {
    const want = typeof p === "string" ? parsePlatform(p) : p;
    const matched = index.manifests.filter((d) =>
      !isAttestation(d) && d.platform !== undefined &&
      selectPlatform({ schemaVersion: 2, manifests: [d] }, want) !== undefined
    );
    if (matched.length === 0) {
      throw new TypeError(
        `Cannot remove ${
          formatPlatform(want)
        } from "${target.name}": the index has ${
          indexPlatforms(index).join(", ") || "no platforms"
        }`,
      );
    }
    for (const d of matched) gone.add(d.digest);
  }
  const entries = withoutAttestationsOf(
    index.manifests.filter((d) => !gone.has(d.digest)),
    gone,
  );
  return await writeIndex(target, index, entries, {
    ...options,
    existing: data.descriptor.mediaType,
    tag: options.tag ?? defaultTag(target, options.reference),
  });
}
