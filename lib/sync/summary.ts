/**
 * What a sync reports: one result per tag, totals per repository and for
 * the whole run, and the events it emits while it runs.
 *
 * @example Print the failures of a sync
 * ```ts
 * import { sync } from "jsr:@scope/docker-registry-client";
 *
 * const summary = await sync("http://127.0.0.1:5000/app", "http://127.0.0.1:5001/app");
 * for (const repo of summary.repositories) {
 *   for (const image of repo.images) {
 *     if (image.action === "failed") console.log(repo.source, image.tag, image.error);
 *   }
 * }
 * ```
 *
 * @module
 */

/**
 * What happened to one tag:
 * - `copied`: the image was copied and tagged (or only tagged, when the
 *   destination already held its manifest);
 * - `skipped`: the destination tag already named the same digest;
 * - `failed`: see `error`;
 * - `deleted`: the tag was gone from the source and was deleted;
 * - `kept`: it was gone from the source but could not be deleted alone
 *   (the registry deletes manifests, and another tag names the same one);
 * - `would-copy`, `would-delete`: what a dry run would have done;
 * - `not-attempted`: the sync stopped first (rate limit, `failFast`).
 */
export type SyncImageAction =
  | "copied"
  | "skipped"
  | "failed"
  | "deleted"
  | "kept"
  | "would-copy"
  | "would-delete"
  | "not-attempted";

/** The result for one tag. */
export interface SyncImageResult {
  /** The tag. */
  tag: string;
  /** What happened. */
  action: SyncImageAction;
  /**
   * The digest copied or compared (the platform's manifest with a
   * platform filter), or the one deleted.
   */
  digest?: string;
  /** Bytes transferred for it (blobs and manifests). */
  bytes?: number;
  /** Blobs transferred for it. */
  blobsCopied?: number;
  /** Blobs mounted from another repository of the same registry. */
  blobsMounted?: number;
  /**
   * Why it failed, was kept, or was not attempted. A failure says which
   * side failed, and a registry's host: `destination: 127.0.0.1:5001:
   * Cannot …`.
   */
  error?: string;
}

/** Counts of a repository or of a whole run. */
export interface SyncCounts {
  /** Tags considered (after filtering). */
  tags: number;
  /** Images copied (or tagged). */
  copied: number;
  /** Tags already up to date. */
  skipped: number;
  /** Tags that failed, plus repositories that could not be listed. */
  failed: number;
  /** Tags deleted at the destination. */
  deleted: number;
  /** Tags a dry run would copy or delete. */
  planned: number;
  /** Tags not attempted because the sync stopped. */
  notAttempted: number;
  /** Bytes transferred. */
  bytes: number;
  /** Blobs transferred. */
  blobsCopied: number;
  /** Blobs mounted. */
  blobsMounted: number;
}

/** The result for one repository. */
export interface SyncRepositoryResult extends SyncCounts {
  /** The source repository (`127.0.0.1:5000/app`, `./app-oci`). */
  source: string;
  /** Where it went. */
  destination: string;
  /**
   * Why the repository could not be synced at all (listing its tags failed
   * …), with the side and a registry's host in front (`source:
   * 127.0.0.1:5000: …`).
   */
  error?: string;
  /** Every tag, sorted, then the tags deleted or kept at the destination. */
  images: SyncImageResult[];
}

/**
 * What {@linkcode sync} returns.
 *
 * @example
 * ```ts
 * import { sync, type SyncSummary } from "jsr:@scope/docker-registry-client";
 *
 * const s: SyncSummary = await sync("http://127.0.0.1:5000/app", "oci:./app-mirror");
 * console.log(`${s.copied} copied, ${s.skipped} up to date, ${s.failed} failed`);
 * ```
 */
export interface SyncSummary extends SyncCounts {
  /** `true` when nothing failed and the run was not stopped. */
  ok: boolean;
  /** Whether this was a dry run (nothing written). */
  dryRun: boolean;
  /** Why the run stopped early (a rate limit reached with `action: "stop"`). */
  stopped?: string;
  /** Repositories in the order planned. */
  repositories: SyncRepositoryResult[];
  /** Wall-clock time in seconds. */
  seconds: number;
}

/**
 * Events a sync emits while it runs (to show progress):
 * - `repository`: a repository is planned, with its number of tags;
 * - `image`: a tag is done (any action);
 * - `repository-failed`: a repository could not be listed;
 * - `rate-limit`: the source's pull budget is spent: the sync pauses,
 *   resumes, or stops.
 */
export type SyncEvent =
  | { type: "repository"; source: string; destination: string; tags: number }
  | {
    type: "image";
    source: string;
    destination: string;
    result: SyncImageResult;
  }
  | {
    type: "repository-failed";
    source: string;
    destination: string;
    error: string;
  }
  | {
    type: "rate-limit";
    registry: string;
    action: "pause" | "resume" | "stop";
    remaining?: number;
    limit?: number;
    windowSeconds?: number;
    /** For a pause: when the budget is checked again, in milliseconds. */
    checkInMs?: number;
  };

/** Zeroed counts. */
export function emptyCounts(): SyncCounts {
  return {
    tags: 0,
    copied: 0,
    skipped: 0,
    failed: 0,
    deleted: 0,
    planned: 0,
    notAttempted: 0,
    bytes: 0,
    blobsCopied: 0,
    blobsMounted: 0,
  };
}

/** Adds one tag's result to counts. */
export function countImage(counts: SyncCounts, image: SyncImageResult): void {
  switch (image.action) {
    case "copied":
      counts.copied++;
      break;
    case "skipped":
      counts.skipped++;
      break;
    case "failed":
      counts.failed++;
      break;
    case "deleted":
      counts.deleted++;
      break;
    case "would-copy":
    case "would-delete":
      counts.planned++;
      break;
    case "not-attempted":
      counts.notAttempted++;
      break;
    case "kept":
      break;
  }
  counts.bytes += image.bytes ?? 0;
  counts.blobsCopied += image.blobsCopied ?? 0;
  counts.blobsMounted += image.blobsMounted ?? 0;
}

/**
 * Totals of repositories (each repository's counts are recomputed from its
 * images first; a repository with an `error` counts as one failure).
 *
 * @param repositories The repositories.
 * @returns The totals.
 */
export function totalsOf(repositories: SyncRepositoryResult[]): SyncCounts {
  const total = emptyCounts();
  for (const repo of repositories) {
    const counts = emptyCounts();
    counts.tags = repo.tags;
    for (const image of repo.images) countImage(counts, image);
    if (repo.error !== undefined) counts.failed++;
    Object.assign(repo, counts);
    for (const key of Object.keys(total) as (keyof SyncCounts)[]) {
      total[key] += counts[key];
    }
  }
  return total;
}
