// Private: a source store whose manifests, once read by digest, are kept in
// memory for the rest of the run (bounded, least recently used dropped
// first). A sync reads the same manifests for many tags — 1,000 tags of one
// image, an index compared for a platform then copied — and each read of a
// registry manifest is a pull that Docker Hub counts.

import { isDigest } from "../ref/digest.ts";
import type { Descriptor } from "../ref/media_types.ts";
import { manifestDescriptor } from "../content/_manifest.ts";
import type {
  ManifestData,
  ReadOnlyImageStore,
  ReferrersQuery,
  StoreCallOptions,
} from "../content/store.ts";

/** The most manifest bytes kept by default (64 MiB). */
export const MANIFEST_CACHE_BYTES = 64 * 1024 * 1024;

/** Manifests by digest, bounded by their total size. */
export class ManifestCache {
  readonly #entries = new Map<string, ManifestData>();
  readonly #max: number;
  #bytes = 0;

  constructor(maxBytes: number = MANIFEST_CACHE_BYTES) {
    this.#max = maxBytes;
  }

  /** The manifest of a digest, if kept (and marks it recently used). */
  get(digest: string): ManifestData | undefined {
    const data = this.#entries.get(digest);
    if (data) {
      this.#entries.delete(digest);
      this.#entries.set(digest, data);
    }
    return data;
  }

  /** Keeps a manifest, dropping the least recently used beyond the bound. */
  set(data: ManifestData): void {
    const digest = data.descriptor.digest;
    if (this.#entries.has(digest) || data.bytes.byteLength > this.#max) return;
    this.#entries.set(digest, data);
    this.#bytes += data.bytes.byteLength;
    for (const [key, old] of this.#entries) {
      if (this.#bytes <= this.#max) break;
      this.#entries.delete(key);
      this.#bytes -= old.bytes.byteLength;
    }
  }
}

/** The digest a fetchManifest target names, when it names one. */
function digestOf(target: string | Descriptor | undefined): string | undefined {
  if (typeof target === "object") return target.digest;
  return target !== undefined && isDigest(target) ? target : undefined;
}

/**
 * A read-only view of `store` whose `fetchManifest` answers from `cache`
 * for digests already read; everything else goes to the store.
 */
export function cachedSource(
  store: ReadOnlyImageStore,
  cache: ManifestCache,
): ReadOnlyImageStore {
  return {
    kind: store.kind,
    name: store.name,
    ...(store.reference !== undefined ? { reference: store.reference } : {}),
    ...(store.location !== undefined ? { location: store.location } : {}),
    resolve: (reference?: string, options?: StoreCallOptions) =>
      store.resolve(reference, options),
    async fetchManifest(
      target?: string | Descriptor,
      options?: StoreCallOptions,
    ): Promise<ManifestData> {
      const digest = digestOf(target);
      const kept = digest === undefined ? undefined : cache.get(digest);
      if (kept) {
        const from = typeof target === "object" ? target : undefined;
        const d = kept.descriptor;
        return {
          descriptor: manifestDescriptor(d.mediaType, d.digest, d.size, from),
          bytes: kept.bytes,
          manifest: kept.manifest,
        };
      }
      const data = await store.fetchManifest(target, options);
      cache.set(data);
      return data;
    },
    fetch: (descriptor: Descriptor, options?: StoreCallOptions) =>
      store.fetch(descriptor, options),
    exists: (descriptor: Descriptor, options?: StoreCallOptions) =>
      store.exists(descriptor, options),
    referrers: (digest: string, options?: ReferrersQuery) =>
      store.referrers(digest, options),
    listTags: (options?: StoreCallOptions) => store.listTags(options),
  };
}
