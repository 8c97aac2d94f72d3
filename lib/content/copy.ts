/**
 * Copying an image between any two stores: a registry repository, an OCI
 * layout, an OCI or docker archive, memory. {@linkcode copy} reads the root
 * manifest (choosing a platform from an index when asked), walks the graph,
 * transfers the blobs the destination lacks a few at a time (each streamed
 * from source to destination, verified on the way), then writes the
 * manifests, children first, with their exact bytes — so every digest stays
 * the same. `pullImage`, `pushImage` and `copyImage` are built on it.
 *
 * @example Registry → OCI layout → memory
 * ```ts
 * import { copy, MemoryStore, OciLayout, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./app-oci", { create: true });
 * await copy(new RegistryStore("http://127.0.0.1:5000/app:1"), layout, { tag: "1" });
 * const mem = new MemoryStore();
 * const result = await copy(layout, mem, { reference: "1", tag: "1" });
 * console.log(result.digest, result.blobsCopied);
 * ```
 *
 * @module
 */

import {
  DigestMismatchError,
  LimitExceededError,
  RegistryError,
  StoreError,
} from "../errors.ts";
import {
  type Descriptor,
  isImageIndex,
  isSchema1Manifest,
} from "../ref/media_types.ts";
import { isDigest } from "../ref/digest.ts";
import {
  formatPlatform,
  parsePlatform,
  type PlatformSpec,
  selectPlatform,
} from "../ref/platform.ts";
import type { ImageStore, ManifestData, ReadOnlyImageStore } from "./store.ts";
import {
  DEFAULT_WALK_LIMITS,
  type ImageGraph,
  WalkBudget,
  walkGraph,
  type WalkLimits,
} from "./_walk.ts";
import { runPool } from "./_pool.ts";
import type {
  BlobAction,
  ImageProgressEvent,
  ProgressTotals,
} from "./progress.ts";

/** The default number of blobs in flight. */
export const DEFAULT_CONCURRENCY = 4;

/** Blobs under this size count as a fraction of a transfer in the pool. */
const SMALL_BLOB_BYTES = 1024 * 1024;

/** A blob's weight in the pool: a quarter for a small one, else one. */
function blobWeight(d: Descriptor): number {
  return d.size >= 0 && d.size < SMALL_BLOB_BYTES ? 0.25 : 1;
}

/** What image operations between stores share. */
export interface TransferOptions {
  /**
   * When the source is an index (multi-platform): `"all"` copies the whole
   * index, every platform; a platform (`"linux/amd64"`, `"linux/arm64/v8"`,
   * or a {@linkcode PlatformSpec}) copies only that platform's manifest,
   * which then stands alone at the destination (the index is not copied),
   * as `crane copy --platform` does. A single-platform source is copied as
   * it is.
   * @default {"all"}
   */
  platform?: string | PlatformSpec;
  /**
   * How many blobs are transferred at once.
   * @default {4}
   */
  concurrency?: number;
  /**
   * Also copy the manifests that refer to the copied ones (OCI 1.1
   * `subject`: signatures, SBOMs, attestations), and theirs in turn.
   * @default {false}
   */
  referrers?: boolean;
  /** Called with every progress event, synchronously. */
  onProgress?: (event: ImageProgressEvent) => void;
  /** Cancels the operation. */
  signal?: AbortSignal;
  /**
   * The longest the whole operation may take, in milliseconds; past it, it
   * stops with a `LimitExceededError` (option `timeoutMs`). `0` or
   * `Infinity`: no limit. Each request is bounded besides (the client's
   * `requestTimeoutMs`, `requestDeadlineMs`, `minSpeed`).
   * @default {Infinity}
   */
  timeoutMs?: number;
  /**
   * How deep manifests may nest below the root: each index entry and each
   * referrer is one level further. Going over is a `LimitExceededError`.
   * @default {8}
   */
  maxIndexDepth?: number;
  /**
   * How many manifests one operation visits (indexes, image manifests,
   * referrers).
   * @default {10000}
   */
  maxManifests?: number;
  /**
   * How many descriptors one operation reads (index entries, configs,
   * layers, referrers).
   * @default {100000}
   */
  maxDescriptors?: number;
  /**
   * How many manifest bytes one operation reads, all manifests together
   * (they are held until written). 64 MiB by default.
   * @default {67108864}
   */
  maxTotalManifestBytes?: number;
}

/** Options of {@linkcode copy}. */
export interface StoreCopyOptions extends TransferOptions {
  /** The source's tag or digest; by default the source store's reference. */
  reference?: string;
  /**
   * The tag the root gets at the destination; by default the destination
   * store's reference when it is a tag, else none (a layout or archive then
   * lists the root as an untagged entry).
   */
  tag?: string;
}

/** What an image operation did. */
export interface ImageTransferResult {
  /** The digest of the manifest written at the destination (the root). */
  digest: string;
  /** Its media type. */
  mediaType: string;
  /** Its size in bytes. */
  size: number;
  /** The tag it was written under, if any. */
  tag?: string;
  /** The platform chosen from an index, when a platform was asked for. */
  platform?: string;
  /** Where it went: a reference, or `DIR:TAG` for a layout. */
  destination: string;
  /** Manifests in the graph (indexes, image manifests, referrers). */
  manifests: number;
  /** Referrers among them. */
  referrers: number;
  /** Distinct blobs in the graph. */
  blobs: number;
  /** Blobs transferred. */
  blobsCopied: number;
  /** Blobs mounted from another repository of the same registry. */
  blobsMounted: number;
  /** Blobs the destination already had. */
  blobsExisting: number;
  /** The sum of the blobs' sizes. */
  bytes: number;
  /** Bytes actually transferred. */
  bytesTransferred: number;
  /** The most blob transfers that were in flight at once. */
  maxBlobsActive: number;
  /** Wall-clock time, in seconds. */
  seconds: number;
}

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

/** The walk limits of the options, checked. */
function walkLimitsOf(options: TransferOptions): WalkLimits {
  const limits = { ...DEFAULT_WALK_LIMITS };
  for (const key of Object.keys(limits) as (keyof WalkLimits)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(
        `Invalid ${key} ${value}: expected a positive integer`,
      );
    }
    limits[key] = value;
  }
  return limits;
}

/**
 * The operation's signal: the caller's, and a deadline that aborts it with
 * a {@linkcode LimitExceededError} after `timeoutMs`; `clear()` stops the
 * timer.
 */
function deadlineOf(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  attempted: string,
): { signal: AbortSignal; clear: () => void } {
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0)
  ) {
    throw new RangeError(
      `Invalid timeoutMs ${timeoutMs}: expected 0 (none) or more milliseconds`,
    );
  }
  if (!timeoutMs || timeoutMs === Infinity) {
    return { signal: signal ?? new AbortController().signal, clear() {} };
  }
  const controller = new AbortController();
  const started = Date.now();
  const timer = setTimeout(() =>
    controller.abort(
      new LimitExceededError(
        attempted,
        "time",
        Date.now() - started,
        timeoutMs,
        "timeoutMs",
        "ms",
      ),
    ), timeoutMs);
  return {
    signal: signal
      ? AbortSignal.any([signal, controller.signal])
      : controller.signal,
    clear: () => clearTimeout(timer),
  };
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

/** The error for a problem with the image at the source. */
function sourceError(
  source: ReadOnlyImageStore,
  attempted: string,
  problem: string,
): Error {
  return source.kind === "registry"
    ? new RegistryError(`Cannot ${attempted}: ${problem}`)
    : new StoreError(attempted, problem, source.name);
}

/**
 * Copies an image from one store to another: an index with its manifests
 * (all platforms, or the one asked for), or one manifest, with configs and
 * layers; referrers on request. Blobs the destination has are skipped (a
 * registry destination mounts them from another repository of the same
 * registry when it can); the others stream from source to destination,
 * verified, `concurrency` at a time. Manifests keep their exact bytes.
 *
 * @param source Where the image is.
 * @param target Where it goes.
 * @param options Which image (`reference`), the tag at the destination,
 * platform, concurrency, referrers, progress, cancellation.
 * @returns What was done.
 * @throws {TypeError} On a malformed platform.
 * @throws {RangeError} On a bad concurrency, timeout or limit.
 * @throws {LimitExceededError} When the graph goes over a bound (depth,
 * manifests, descriptors, manifest bytes) or the operation over `timeoutMs`.
 * @throws {DigestMismatchError} When content does not match its digest, or
 * the destination's reference names another digest.
 * @throws {NotFoundError} (registry) or {StoreError} (others) when the image is not there.
 *
 * @example OCI layout → registry, one platform
 * ```ts
 * import { copy, OciLayout, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./app-oci");
 * await copy(layout, new RegistryStore("http://127.0.0.1:5000/app:1", { access: "push" }), {
 *   reference: "1",
 *   platform: "linux/amd64",
 * });
 * ```
 */
export async function copy(
  source: ReadOnlyImageStore,
  target: ImageStore,
  options: StoreCopyOptions = {},
): Promise<ImageTransferResult> {
  const attempted = `copy "${source.name}" to "${target.name}"`;
  const budget = new WalkBudget(walkLimitsOf(options), attempted);
  const deadline = deadlineOf(options.signal, options.timeoutMs, attempted);
  try {
    return await transfer(source, target, options, deadline.signal, budget);
  } finally {
    deadline.clear();
  }
}

/** {@linkcode copy}, within its signal and budget. */
async function transfer(
  source: ReadOnlyImageStore,
  target: ImageStore,
  options: StoreCopyOptions,
  signal: AbortSignal,
  budget: WalkBudget,
): Promise<ImageTransferResult> {
  const started = performance.now();
  const concurrency = concurrencyOf(options.concurrency);
  const want = platformFilter(options.platform);
  const referrers = options.referrers ?? false;
  signal.throwIfAborted();
  const fail = (attempted: string, problem: string) =>
    sourceError(source, attempted, problem);
  const dstRef = target.reference;
  const tag = options.tag ??
    (dstRef !== undefined && !isDigest(dstRef) ? dstRef : undefined);
  const wantDigest = dstRef !== undefined && isDigest(dstRef)
    ? dstRef
    : undefined;

  let root = await source.fetchManifest(options.reference, { signal });
  budget.manifest(root.bytes.byteLength);
  let chosen: string | undefined;
  if (want && isImageIndex(root.manifest)) {
    budget.descriptors(root.manifest.manifests.length);
    const entry = selectPlatform(root.manifest, want);
    if (!entry) {
      const have = root.manifest.manifests
        .filter((d) => d.platform && d.platform.os !== "unknown")
        .map((d) => formatPlatform(d.platform!));
      throw fail(
        `select platform ${formatPlatform(want)} from "${source.name}"`,
        `the index has ${have.length ? have.join(", ") : "no platforms"}`,
      );
    }
    root = await source.fetchManifest(entry, { signal });
    budget.manifest(root.bytes.byteLength);
    chosen = formatPlatform(entry.platform!);
  }
  if (isSchema1Manifest(root.manifest)) {
    throw fail(
      `copy "${source.name}"`,
      "Docker schema 1 manifests are not supported",
    );
  }
  if (wantDigest !== undefined && wantDigest !== root.descriptor.digest) {
    throw new DigestMismatchError(
      `copy "${source.name}" to "${target.name}"`,
      wantDigest,
      root.descriptor.digest,
    );
  }

  // A registry holding a manifest holds everything under it; other stores
  // are walked (their existence checks are local and cheap).
  const isPresent = target.kind === "registry"
    ? (d: Descriptor, s: AbortSignal) => target.exists(d, { signal: s })
    : undefined;
  const rootPresent = !referrers && isPresent !== undefined &&
    await isPresent(root.descriptor, signal);
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
      isPresent,
      budget,
      fail: (problem) => fail(`walk the graph of "${source.name}"`, problem),
    });
  for (const m of graph.manifests) {
    if (m.data && isSchema1Manifest(m.data.manifest)) {
      throw fail(
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

  const from = source.location;
  const to = target.location;
  const mountFrom = from !== undefined && to !== undefined &&
      from.baseUrl === to.baseUrl && from.repository !== to.repository
    ? from
    : undefined;

  const copyBlob = async (descriptor: Descriptor, s: AbortSignal) => {
    let opened = false;
    let bytes = 0;
    let action: BlobAction;
    try {
      action = await target.push(
        descriptor,
        () => {
          opened = true;
          totals.blobsActive++;
          maxActive = Math.max(maxActive, totals.blobsActive);
          emit({ type: "blob-start", descriptor, totals: { ...totals } });
          return source.fetch(descriptor, { signal: s });
        },
        {
          signal: s,
          ...(mountFrom ? { mountFrom } : {}),
          onBytes(n) {
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
        },
      );
    } finally {
      if (opened) totals.blobsActive--;
    }
    counts[action]++;
    totals.blobsDone++;
    totals.bytesDone += Math.max(0, descriptor.size) - bytes;
    emit({ type: "blob-done", descriptor, action, totals: { ...totals } });
  };
  await runPool(graph.blobs, copyBlob, {
    concurrency,
    signal,
    // Unless a concurrency was asked for, small blobs move more at a time:
    // their cost is round trips, not bytes (256 × 64 KiB go 16 at a time).
    ...(options.concurrency === undefined ? { weight: blobWeight } : {}),
  });

  const rootDigest = root.descriptor.digest;
  for (const m of graph.manifests) {
    const isRoot = m.descriptor.digest === rootDigest && !m.referrer;
    const rootTag = isRoot ? tag : undefined;
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
    const data = m.data as ManifestData;
    await target.push(data.descriptor, data.bytes, {
      signal,
      ...(rootTag !== undefined ? { tag: rootTag } : {}),
      listed: isRoot || m.referrer,
    });
    totals.manifestsDone++;
    emit({
      type: "manifest-done",
      descriptor: m.descriptor,
      action: m.present ? "exists" : "copied",
      ...(rootTag ? { tag: rootTag } : {}),
      ...(m.referrer ? { referrer: true } : {}),
      totals: { ...totals },
    });
  }
  emit({ type: "done", totals: { ...totals } });

  return {
    digest: rootDigest,
    mediaType: root.descriptor.mediaType,
    size: root.descriptor.size,
    ...(tag !== undefined ? { tag } : {}),
    ...(chosen !== undefined ? { platform: chosen } : {}),
    destination: destinationName(target, tag),
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

/** `DIR:TAG` for a layout, the reference for a registry. */
function destinationName(target: ImageStore, tag: string | undefined): string {
  if (target.kind === "registry") return target.name;
  return tag === undefined ? target.name : `${target.name}:${tag}`;
}
