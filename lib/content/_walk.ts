// Private: walking an image's graph. From a root manifest: an index's
// manifests, an image manifest's config and layers, and (on request) the
// referrers of every manifest met, recursively. Manifests are listed
// children first, so writing them in order never writes a manifest before
// what it points to; blobs are listed once each.

import {
  type Descriptor,
  type ImageManifest,
  isImageIndex,
  isImageManifest,
} from "../ref/media_types.ts";
import type { ManifestData, ReadOnlyImageStore } from "./store.ts";
import { runPool } from "./_pool.ts";

/** One manifest of the graph. */
export interface GraphManifest {
  /** The manifest; absent when the destination already has it (not read). */
  data?: ManifestData;
  /** Its descriptor. */
  descriptor: Descriptor;
  /** Whether it was reached as a referrer. */
  referrer: boolean;
  /** Whether the destination already has it (and everything under it). */
  present: boolean;
}

/** The walked graph. */
export interface ImageGraph {
  /** Every manifest, children before parents, referrers after their subject. */
  manifests: GraphManifest[];
  /** Every distinct blob (configs and layers), in the order met. */
  blobs: Descriptor[];
}

/** Options of {@linkcode walkGraph}. */
export interface WalkOptions {
  /** Follow referrers. */
  referrers: boolean;
  /** How many manifests to read at once. */
  concurrency: number;
  /** Whether the destination has a manifest; such subtrees are not walked. */
  isPresent?: (descriptor: Descriptor, signal: AbortSignal) => Promise<boolean>;
  signal: AbortSignal;
}

/** Layers that are never pushed to registries (Windows base layers). */
function isNonDistributable(d: Descriptor): boolean {
  return /foreign|nondistributable/.test(d.mediaType) ||
    (Array.isArray(d.urls) && d.urls.length > 0);
}

/** The blobs an image manifest points to. */
function blobsOf(data: ManifestData): Descriptor[] {
  const m = data.manifest;
  if (isImageManifest(m)) {
    const image = m as ImageManifest;
    return [image.config, ...image.layers].filter((d) =>
      d && typeof d.digest === "string" && !isNonDistributable(d)
    );
  }
  return [];
}

/**
 * Walks the graph from `root` (already read from the source).
 *
 * @returns The manifests in write order and the distinct blobs.
 */
export async function walkGraph(
  source: ReadOnlyImageStore,
  root: ManifestData,
  options: WalkOptions,
): Promise<ImageGraph> {
  const manifests: GraphManifest[] = [];
  const blobs = new Map<string, Descriptor>();
  const visits = new Map<string, Promise<void>>();
  const { signal } = options;

  const visitData = async (
    data: ManifestData,
    referrer: boolean,
  ): Promise<void> => {
    const m = data.manifest;
    if (isImageIndex(m)) {
      await runPool(
        m.manifests,
        (d, s) => visit(d, referrer, s),
        { concurrency: options.concurrency, signal },
      );
    }
    for (const b of blobsOf(data)) {
      if (!blobs.has(b.digest)) blobs.set(b.digest, b);
    }
    manifests.push({
      data,
      descriptor: data.descriptor,
      referrer,
      present: false,
    });
    await visitReferrers(data.descriptor.digest);
  };

  const visitReferrers = async (digest: string): Promise<void> => {
    if (!options.referrers) return;
    const list = await source.referrers(digest, { signal });
    await runPool(
      list,
      (d, s) => visit(d, true, s),
      { concurrency: options.concurrency, signal },
    );
  };

  const visit = (
    descriptor: Descriptor,
    referrer: boolean,
    s: AbortSignal,
  ): Promise<void> => {
    let visiting = visits.get(descriptor.digest);
    if (!visiting) {
      visiting = (async () => {
        if (
          options.isPresent && !options.referrers &&
          await options.isPresent(descriptor, s)
        ) {
          manifests.push({ descriptor, referrer, present: true });
          return;
        }
        await visitData(
          await source.fetchManifest(descriptor, { signal: s }),
          referrer,
        );
      })();
      visits.set(descriptor.digest, visiting);
    }
    return visiting;
  };

  const rootVisit = visitData(root, false);
  visits.set(root.descriptor.digest, rootVisit);
  await rootVisit;
  return { manifests, blobs: [...blobs.values()] };
}
