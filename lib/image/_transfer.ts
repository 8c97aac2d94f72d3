// Private: the transfer engine behind pullImage, pushImage and copyImage.
// Reads the root manifest (choosing a platform from an index when asked),
// walks the graph, transfers the blobs the destination lacks a few at a time
// (each streamed from source to destination, verified on the way), then
// writes the manifests, children first, with their exact bytes.

import { DigestMismatchError } from "../errors.ts";
import {
  type Descriptor,
  isImageIndex,
  isSchema1Manifest,
} from "../ref/media_types.ts";
import {
  formatPlatform,
  parsePlatform,
  type PlatformSpec,
  selectPlatform,
} from "../ref/platform.ts";
import type { ImageSource, ImageTarget, ManifestData } from "./_endpoint.ts";
import { type ImageGraph, walkGraph } from "./_graph.ts";
import { runPool } from "./_pool.ts";
import type {
  BlobAction,
  ImageProgressEvent,
  ProgressTotals,
} from "./progress.ts";
import type { ImageTransferResult, TransferOptions } from "./types.ts";

/** The default number of blobs in flight. */
export const DEFAULT_CONCURRENCY = 4;

/** `undefined` for every platform; else the platform wanted. */
export function platformFilter(
  platform: TransferOptions["platform"],
): PlatformSpec | undefined {
  if (platform === undefined || platform === "all") return undefined;
  if (typeof platform === "string") return parsePlatform(platform);
  if (typeof platform !== "object" || platform === null) {
    throw new TypeError(
      `Invalid platform: expected "all", "os/arch[/variant]" or {os, architecture}`,
    );
  }
  return platform;
}

function concurrencyOf(value: number | undefined): number {
  const n = value ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new RangeError(
      `Invalid concurrency ${value}: expected an integer from 1 to 64`,
    );
  }
  return n;
}

/**
 * Copies the image `source` names to `target`.
 *
 * @returns What was done.
 * @throws {TypeError} On a malformed platform.
 * @throws {RangeError} On a bad concurrency.
 */
export async function transferImage(
  source: ImageSource,
  target: ImageTarget,
  options: TransferOptions,
): Promise<ImageTransferResult> {
  const started = performance.now();
  const concurrency = concurrencyOf(options.concurrency);
  const want = platformFilter(options.platform);
  const referrers = options.referrers ?? false;
  const signal = options.signal ?? new AbortController().signal;
  signal.throwIfAborted();

  let root = await source.root(signal);
  let chosen: string | undefined;
  if (want && isImageIndex(root.manifest)) {
    const entry = selectPlatform(root.manifest, want);
    if (!entry) {
      const have = root.manifest.manifests
        .filter((d) => d.platform && d.platform.os !== "unknown")
        .map((d) => formatPlatform(d.platform!));
      throw source.error(
        `select platform ${formatPlatform(want)} from "${source.name}"`,
        `the index has ${have.length ? have.join(", ") : "no platforms"}`,
      );
    }
    root = await source.manifest(entry, signal);
    chosen = formatPlatform(entry.platform!);
  }
  if (isSchema1Manifest(root.manifest)) {
    throw source.error(
      `copy "${source.name}"`,
      "Docker schema 1 manifests are not supported",
    );
  }
  if (target.digest !== undefined && target.digest !== root.descriptor.digest) {
    throw new DigestMismatchError(
      `copy "${source.name}" to "${target.name}"`,
      target.digest,
      root.descriptor.digest,
    );
  }

  const rootPresent = !referrers && target.hasManifest !== undefined &&
    await target.hasManifest(root.descriptor, signal);
  const graph: ImageGraph = rootPresent
    ? {
      manifests: [{
        data: root,
        descriptor: root.descriptor,
        referrer: false,
        present: true,
      }],
      blobs: [],
    }
    : await walkGraph(source, root, {
      referrers,
      concurrency,
      signal,
      isPresent: target.hasManifest?.bind(target),
    });
  for (const m of graph.manifests) {
    if (m.data && isSchema1Manifest(m.data.manifest)) {
      throw source.error(
        `copy manifest ${m.descriptor.digest} of "${source.name}"`,
        "Docker schema 1 manifests are not supported",
      );
    }
  }

  const totals: ProgressTotals = {
    blobs: graph.blobs.length,
    blobsDone: 0,
    blobsActive: 0,
    bytes: graph.blobs.reduce((sum, b) => sum + Math.max(0, b.size), 0),
    bytesDone: 0,
    bytesTransferred: 0,
    manifests: graph.manifests.length,
    manifestsDone: 0,
  };
  const counts: Record<BlobAction, number> = {
    copied: 0,
    mounted: 0,
    exists: 0,
  };
  let maxActive = 0;
  const emit = (event: ImageProgressEvent) => options.onProgress?.(event);
  emit({ type: "plan", totals: { ...totals } });

  const sameRegistry = source.registry !== undefined &&
    target.registry !== undefined &&
    source.registry.baseUrl === target.registry.baseUrl &&
    source.registry.repo !== target.registry.repo;
  const mountFrom = sameRegistry ? source.registry!.repo : undefined;

  const copyBlob = async (descriptor: Descriptor, s: AbortSignal) => {
    let opened = false;
    let bytes = 0;
    const content = target.contentStream(
      () => {
        opened = true;
        totals.blobsActive++;
        maxActive = Math.max(maxActive, totals.blobsActive);
        emit({ type: "blob-start", descriptor, totals: { ...totals } });
        return source.blob(descriptor, s);
      },
      (n) => {
        bytes += n;
        totals.bytesTransferred += n;
        totals.bytesDone += n;
        emit({
          type: "blob-progress",
          descriptor,
          bytes,
          totals: { ...totals },
        });
      },
    );
    let action: BlobAction;
    try {
      action = await target.writeBlob(descriptor, content, mountFrom, s);
    } finally {
      if (opened) totals.blobsActive--;
    }
    if (!opened) await content.cancel().catch(() => {});
    counts[action]++;
    totals.blobsDone++;
    totals.bytesDone += Math.max(0, descriptor.size) - bytes;
    emit({ type: "blob-done", descriptor, action, totals: { ...totals } });
  };
  await runPool(graph.blobs, copyBlob, { concurrency, signal });

  const rootDigest = root.descriptor.digest;
  for (const m of graph.manifests) {
    const isRoot = m.descriptor.digest === rootDigest && !m.referrer;
    const tag = isRoot ? target.tag : undefined;
    if (m.present && !isRoot) {
      totals.manifestsDone++;
      emit({
        type: "manifest-done",
        descriptor: m.descriptor,
        action: "exists",
        totals: { ...totals },
      });
      continue;
    }
    await target.putManifest(
      m.data as ManifestData,
      { root: isRoot, referrer: m.referrer, ...(tag ? { tag } : {}) },
      signal,
    );
    totals.manifestsDone++;
    emit({
      type: "manifest-done",
      descriptor: m.descriptor,
      action: m.present ? "exists" : "copied",
      ...(tag ? { tag } : {}),
      ...(m.referrer ? { referrer: true } : {}),
      totals: { ...totals },
    });
  }
  emit({ type: "done", totals: { ...totals } });

  return {
    digest: rootDigest,
    mediaType: root.descriptor.mediaType,
    size: root.descriptor.size,
    ...(target.tag !== undefined ? { tag: target.tag } : {}),
    ...(chosen !== undefined ? { platform: chosen } : {}),
    destination: target.name,
    manifests: graph.manifests.length,
    referrers: graph.manifests.filter((m) => m.referrer).length,
    blobs: graph.blobs.length,
    blobsCopied: counts.copied,
    blobsMounted: counts.mounted,
    blobsExisting: counts.exists,
    bytes: totals.bytes,
    bytesTransferred: totals.bytesTransferred,
    maxBlobsActive: maxActive,
    seconds: +((performance.now() - started) / 1000).toFixed(3),
  };
}
