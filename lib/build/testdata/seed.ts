// Test support for append, mutate, index and validate (not published):
// small real images (gzip'ed tar layers of one file each, configs whose
// diff_ids match) written into any store, and a store wrapper that counts
// what is pushed into it.

import { createHash } from "node:crypto";
import type {
  BlobPushOptions,
  ImageStore,
  ManifestData,
  PushAction,
  PushContent,
  ReferrersQuery,
  StoreCallOptions,
  StorePushOptions,
} from "../../content/store.ts";
import { type Descriptor, MEDIA_TYPE } from "../../ref/media_types.ts";
import { tarOf } from "../../../test_support/tar.ts";

const encoder = new TextEncoder();

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A gzip'ed one-file layer, and its diff_id. */
export async function oneFileLayer(
  name: string,
  content: string,
): Promise<{ bytes: Uint8Array; diffId: string }> {
  const tar = await tarOf(name, encoder.encode(content));
  return { bytes: await gzip(tar), diffId: sha256(tar) };
}

async function put(
  store: ImageStore,
  mediaType: string,
  bytes: Uint8Array,
  options: StorePushOptions = {},
): Promise<Descriptor> {
  const d = { mediaType, digest: sha256(bytes), size: bytes.byteLength };
  await store.push(d, bytes, options);
  return d;
}

/** What {@linkcode seedImage} wrote. */
export interface SeededImage {
  descriptor: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  configJson: Record<string, unknown>;
}

/** Writes a small image: one layer per file, a config, a manifest. */
export async function seedImage(
  store: ImageStore,
  options: {
    tag?: string;
    files?: Record<string, string>;
    platform?: { os: string; architecture: string; variant?: string };
    docker?: boolean;
    history?: boolean;
    container?: Record<string, unknown>;
  } = {},
): Promise<SeededImage> {
  const docker = options.docker ?? false;
  const platform = options.platform ?? { os: "linux", architecture: "amd64" };
  const files = options.files ?? { "base.txt": "base" };
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const layer = await oneFileLayer(
      name,
      `${content} ${platform.architecture}`,
    );
    layers.push(
      await put(
        store,
        docker ? MEDIA_TYPE.DOCKER_LAYER : MEDIA_TYPE.OCI_LAYER_GZIP,
        layer.bytes,
      ),
    );
    diffIds.push(layer.diffId);
  }
  const configJson: Record<string, unknown> = {
    created: "2024-01-01T00:00:00Z",
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: options.container ??
      { Env: ["PATH=/usr/bin:/bin"], Cmd: ["/bin/sh"] },
    rootfs: { type: "layers", diff_ids: diffIds },
    ...(options.history === false
      ? {}
      : { history: layers.map((_, i) => ({ created_by: `seed ${i}` })) }),
  };
  const config = await put(
    store,
    docker ? MEDIA_TYPE.DOCKER_CONFIG : MEDIA_TYPE.OCI_CONFIG,
    encoder.encode(JSON.stringify(configJson)),
  );
  const mediaType = docker
    ? MEDIA_TYPE.DOCKER_MANIFEST
    : MEDIA_TYPE.OCI_MANIFEST;
  const manifest = { schemaVersion: 2, mediaType, config, layers };
  const descriptor = await put(
    store,
    mediaType,
    encoder.encode(JSON.stringify(manifest)),
    options.tag !== undefined ? { tag: options.tag } : { listed: true },
  );
  return { descriptor, config, layers, configJson };
}

/** Writes an index of one small image per platform (and an attestation). */
export async function seedIndex(
  store: ImageStore,
  options: {
    tag?: string;
    platforms: { os: string; architecture: string; variant?: string }[];
    docker?: boolean;
    attestation?: boolean;
  },
): Promise<{ descriptor: Descriptor; images: SeededImage[] }> {
  const images: SeededImage[] = [];
  for (const platform of options.platforms) {
    images.push(
      await seedImage(store, {
        platform,
        ...(options.docker ? { docker: true } : {}),
      }),
    );
  }
  const manifests: Descriptor[] = images.map((img, i) => ({
    ...img.descriptor,
    platform: options.platforms[i],
  }));
  if (options.attestation) {
    const att = await seedImage(store, { files: { "att.json": "{}" } });
    manifests.push({
      ...att.descriptor,
      platform: { os: "unknown", architecture: "unknown" },
      annotations: {
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": images[0].descriptor.digest,
      },
    });
  }
  const mediaType = options.docker
    ? MEDIA_TYPE.DOCKER_MANIFEST_LIST
    : MEDIA_TYPE.OCI_INDEX;
  const descriptor = await put(
    store,
    mediaType,
    encoder.encode(JSON.stringify({ schemaVersion: 2, mediaType, manifests })),
    options.tag !== undefined ? { tag: options.tag } : { listed: true },
  );
  return { descriptor, images };
}

/** Reads JSON content of a store. */
export async function readJson<T = Record<string, unknown>>(
  store: ImageStore,
  d: Descriptor,
): Promise<T> {
  return await new Response(await store.fetch(d)).json() as T;
}

/**
 * Delegates to a store and records what is pushed into it: every `push`
 * by digest with its action, every `pushBlob`, every `fetch`.
 */
export class CountingStore implements ImageStore {
  readonly inner: ImageStore;
  /** `push` calls: digest and what the store did. */
  readonly pushes: { digest: string; action: PushAction }[] = [];
  /** Descriptors `pushBlob` returned. */
  readonly pushedBlobs: Descriptor[] = [];
  /** `fetch` calls, by digest. */
  readonly fetches: string[] = [];
  constructor(inner: ImageStore) {
    this.inner = inner;
  }
  get kind() {
    return this.inner.kind;
  }
  get name() {
    return this.inner.name;
  }
  get reference() {
    return this.inner.reference;
  }
  get location() {
    return this.inner.location;
  }
  /** Digests whose push copied bytes. */
  copied(): string[] {
    return this.pushes.filter((p) => p.action === "copied").map((p) =>
      p.digest
    );
  }
  resolve(reference?: string, options?: StoreCallOptions) {
    return this.inner.resolve(reference, options);
  }
  fetchManifest(
    target?: string | Descriptor,
    options?: StoreCallOptions,
  ): Promise<ManifestData> {
    return this.inner.fetchManifest(target, options);
  }
  fetch(descriptor: Descriptor, options?: StoreCallOptions) {
    this.fetches.push(descriptor.digest);
    return this.inner.fetch(descriptor, options);
  }
  exists(descriptor: Descriptor, options?: StoreCallOptions) {
    return this.inner.exists(descriptor, options);
  }
  referrers(digest: string, options?: ReferrersQuery) {
    return this.inner.referrers(digest, options);
  }
  listTags(options?: StoreCallOptions) {
    return this.inner.listTags(options);
  }
  async push(
    descriptor: Descriptor,
    content: PushContent,
    options?: StorePushOptions,
  ): Promise<PushAction> {
    const action = await this.inner.push(descriptor, content, options);
    this.pushes.push({ digest: descriptor.digest, action });
    return action;
  }
  async pushBlob(
    content: ReadableStream<Uint8Array>,
    options: BlobPushOptions,
  ): Promise<Descriptor> {
    const d = await this.inner.pushBlob(content, options);
    this.pushedBlobs.push(d);
    return d;
  }
  tag(descriptor: Descriptor, tag: string, options?: StoreCallOptions) {
    return this.inner.tag(descriptor, tag, options);
  }
  delete(target: string | Descriptor, options?: StoreCallOptions) {
    return this.inner.delete(target, options);
  }
  close() {
    return this.inner.close();
  }
  discard() {
    return this.inner.discard();
  }
}
