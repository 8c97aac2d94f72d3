// Private: syncing the tags of one repository into one destination store.
//
// Per tag: resolve it at the source (`HEAD`) and at the destination
// (`HEAD`); the same digest means nothing to do, and nothing more is asked.
// Otherwise the image is copied with `copy()` — unless this run already
// copied that digest to this destination, in which case its manifest (kept
// in memory) is put under the tag: one `PUT`. Tags of one digest wait for
// the first copy of it rather than copy it side by side. With a platform
// filter, an index is read (once per digest) to compare the platform's
// manifest. Deleting tags gone from the source comes after the copies.

import { copy } from "../content/copy.ts";
import type { ImageStore, ReadOnlyImageStore } from "../content/store.ts";
import { isNotFound, TooManyRequestsError } from "../errors.ts";
import { INDEX_MEDIA_TYPES, isImageIndex } from "../ref/media_types.ts";
import { type PlatformSpec, selectPlatform } from "../ref/platform.ts";
import type { RegistryClientV2 } from "../registry/client.ts";
import type { ManifestCache } from "./_cached_source.ts";
import { type RateGate, SyncStopped } from "./_rate_gate.ts";
import type { SyncImageResult, SyncRepositoryResult } from "./summary.ts";

/**
 * The OCI referrers tag schema (`sha256-<hex>`): a registry without the
 * referrers API gets such a tag from the client that pushes a manifest with
 * a `subject`. A destination keeps its own: they are never deleted as
 * "gone from the source".
 */
const REFERRERS_TAG = /^[a-z0-9]+-[0-9a-f]{32,}$/;

/** Copies of one image retried after a 429 before the tag fails. */
const MAX_RATE_LIMITED_ATTEMPTS = 5;

/** One source repository and where it goes. */
export interface RepositoryJob {
  /** The source (manifests read by digest come from the run's cache). */
  source: ReadOnlyImageStore;
  /** The destination. */
  destination: ImageStore;
  /** The source's client, when it is a registry (for its pull budget). */
  sourceClient?: RegistryClientV2;
  /** The source registry's gate, when it is a registry. */
  gate?: RateGate;
  /** What is reported. */
  result: SyncRepositoryResult;
  /** The tags to sync, sorted. */
  tags: string[];
  /** Whether a tag is in the sync's scope (for deletions). */
  matcher: (tag: string) => boolean;
  /** Delete destination tags in scope that the source no longer has. */
  deleteMissing: boolean;
  /** The platform to copy from indexes; all when absent. */
  platform?: PlatformSpec;
  /** Digests copied to this destination in this run. */
  copied: Set<string>;
  /** Copies in progress, by digest. */
  inflight: Map<string, Promise<unknown>>;
  /** The digest each tag has at the destination after this run, when known. */
  digests: Map<string, string>;
}

/** What every repository of a run shares. */
export interface RunContext {
  /** Dry run: nothing is written. */
  dryRun: boolean;
  /** Blobs in flight per image. */
  blobConcurrency: number;
  /** Manifests read in this run, by digest. */
  cache: ManifestCache;
  /** The run's signal. */
  signal: AbortSignal;
}

function message(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/** A tag's descriptor at a store, or `undefined` when it has none. */
async function resolveOrNone(
  store: ReadOnlyImageStore,
  tag: string,
  signal: AbortSignal,
): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
  try {
    return await store.resolve(tag, { signal });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The digest the destination should have for a tag, and how to copy it. */
async function wantedDigest(
  job: RepositoryJob,
  tag: string,
  signal: AbortSignal,
): Promise<string> {
  const head = await job.source.resolve(tag, { signal });
  if (job.sourceClient) job.gate?.observe(job.sourceClient);
  if (!job.platform || !INDEX_MEDIA_TYPES.includes(head.mediaType)) {
    return head.digest;
  }
  await pullGate(job, tag);
  const index = await job.source.fetchManifest(head, { signal });
  if (job.sourceClient) job.gate?.observe(job.sourceClient);
  if (!isImageIndex(index.manifest)) return head.digest;
  // A missing platform is left for copy() to report.
  return selectPlatform(index.manifest, job.platform)?.digest ?? head.digest;
}

async function pullGate(job: RepositoryJob, tag: string): Promise<void> {
  if (job.gate && job.sourceClient) {
    await job.gate.beforePull(job.sourceClient, tag);
  }
}

/** Copies the image of a tag, pausing (or stopping) on the pull budget. */
async function copyImage(
  job: RepositoryJob,
  tag: string,
  digest: string,
  ctx: RunContext,
): Promise<SyncImageResult> {
  for (let attempt = 1;; attempt++) {
    await pullGate(job, tag);
    try {
      const r = await copy(job.source, job.destination, {
        reference: digest,
        tag,
        ...(job.platform ? { platform: job.platform } : {}),
        concurrency: ctx.blobConcurrency,
        signal: ctx.signal,
      });
      if (job.sourceClient) job.gate?.observe(job.sourceClient);
      return {
        tag,
        action: "copied",
        digest: r.digest,
        bytes: r.bytesTransferred,
        blobsCopied: r.blobsCopied,
        blobsMounted: r.blobsMounted,
      };
    } catch (err) {
      if (
        err instanceof TooManyRequestsError && job.gate &&
        attempt < MAX_RATE_LIMITED_ATTEMPTS
      ) {
        job.gate.spent();
        continue;
      }
      throw err;
    }
  }
}

/** Puts a manifest this run copied under another tag: one write. */
async function tagCopied(
  job: RepositoryJob,
  tag: string,
  digest: string,
  ctx: RunContext,
): Promise<SyncImageResult | undefined> {
  const data = ctx.cache.get(digest);
  if (!data) return undefined;
  await job.destination.push(data.descriptor, data.bytes, {
    tag,
    signal: ctx.signal,
  });
  return { tag, action: "copied", digest, bytes: 0 };
}

/**
 * Syncs one tag. Failures are returned as results; only an abort or a stop
 * of the whole run is thrown.
 */
export async function syncTag(
  job: RepositoryJob,
  tag: string,
  ctx: RunContext,
): Promise<SyncImageResult> {
  const { signal } = ctx;
  try {
    const digest = await wantedDigest(job, tag, signal);
    const have = await resolveOrNone(job.destination, tag, signal);
    if (have?.digest === digest) {
      job.digests.set(tag, digest);
      return { tag, action: "skipped", digest };
    }
    if (ctx.dryRun) return { tag, action: "would-copy", digest };
    let result: SyncImageResult | undefined;
    for (;;) {
      const pending = job.inflight.get(digest);
      if (!pending) break;
      await pending.catch(() => {});
    }
    if (job.copied.has(digest)) result = await tagCopied(job, tag, digest, ctx);
    if (!result) {
      const copying = copyImage(job, tag, digest, ctx);
      job.inflight.set(digest, copying);
      try {
        result = await copying;
      } finally {
        job.inflight.delete(digest);
      }
      job.copied.add(digest);
    }
    job.digests.set(tag, digest);
    return result;
  } catch (err) {
    if (err instanceof SyncStopped || signal.aborted) throw err;
    return { tag, action: "failed", error: message(err) };
  }
}

/**
 * Deletes (or, in a dry run, lists) the destination tags in scope that the
 * source no longer has, but for referrers tags (`sha256-<hex>`). A registry
 * deletes manifests, not tags: a tag whose manifest another remaining tag
 * also names is kept, and said so.
 */
export async function deleteMissing(
  job: RepositoryJob,
  ctx: RunContext,
): Promise<SyncImageResult[]> {
  const { signal } = ctx;
  let tags: string[];
  try {
    tags = await job.destination.listTags({ signal });
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const wanted = new Set(job.tags);
  const gone = tags.filter((t) =>
    job.matcher(t) && !wanted.has(t) && !REFERRERS_TAG.test(t)
  ).sort();
  if (gone.length === 0) return [];
  const owner = new Map<string, string>();
  const digestOf = new Map<string, string>();
  if (job.destination.kind === "registry") {
    for (const t of tags.filter((t) => !gone.includes(t))) {
      const d = job.digests.get(t) ??
        (await resolveOrNone(job.destination, t, signal))?.digest;
      if (d !== undefined && !owner.has(d)) owner.set(d, t);
    }
    for (const t of gone) {
      const d = (await resolveOrNone(job.destination, t, signal))?.digest;
      if (d !== undefined) digestOf.set(t, d);
    }
  }
  const results: SyncImageResult[] = [];
  for (const tag of gone) {
    const digest = digestOf.get(tag);
    const d = digest !== undefined ? { digest } : {};
    const shared = digest !== undefined ? owner.get(digest) : undefined;
    if (shared !== undefined) {
      results.push({
        tag,
        action: "kept",
        ...d,
        error:
          `not at the source, but the registry deletes manifests, not tags, and tag "${shared}" names the same one`,
      });
      continue;
    }
    if (ctx.dryRun) {
      results.push({ tag, action: "would-delete", ...d });
      continue;
    }
    try {
      await job.destination.delete(tag, { signal });
      results.push({ tag, action: "deleted", ...d });
    } catch (err) {
      if (isNotFound(err)) {
        // Gone with another tag of the same manifest.
        results.push({ tag, action: "deleted", ...d });
      } else {
        if (signal.aborted) throw err;
        results.push({ tag, action: "failed", ...d, error: message(err) });
      }
    }
  }
  return results;
}
