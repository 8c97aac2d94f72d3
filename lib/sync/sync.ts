/**
 * Mirroring: {@linkcode sync} copies every tag of a repository (or the tags
 * a filter keeps), of a list of repositories, or of a whole registry
 * (through its catalog) into another registry or a directory of OCI
 * layouts, as `skopeo sync` and `regsync` do. {@linkcode syncAll} runs
 * several source/destination pairs in one run (what a sync file
 * describes, see `config.ts`).
 *
 * A run is incremental: for each tag, the source and the destination are
 * asked for its digest with a `HEAD` each, and a tag that already names
 * the same digest is skipped without reading anything else — a second run
 * with nothing changed makes two `HEAD`s per tag and the tag listings, and
 * uploads nothing. Images are copied a few at a time (`concurrency`), each
 * with its blobs a few at a time (`blobConcurrency`), through
 * {@linkcode copy}: an index with all its platforms by default, digests
 * unchanged. Clients are made once per repository and share one auth state
 * (ping, tokens) per registry. A source's pull budget (Docker Hub's
 * `RateLimit-Remaining`) is watched: once spent, the run pauses until it is
 * back, or stops (`rateLimit`). A failure of one image or repository is
 * reported and the run goes on with the others (unless `failFast`); the
 * summary says what was copied, skipped, deleted and failed, per
 * repository.
 *
 * @example Mirror a repository, then again (nothing to do)
 * ```ts
 * import { sync } from "jsr:@scope/docker-registry-client";
 *
 * const first = await sync("http://127.0.0.1:5000/app", "http://127.0.0.1:5001/mirror/app");
 * console.log(first.copied, first.bytes);
 * const again = await sync("http://127.0.0.1:5000/app", "http://127.0.0.1:5001/mirror/app");
 * console.log(again.skipped === again.tags); // true
 * ```
 *
 * @module
 */

import { DEFAULT_CONCURRENCY, platformFilter } from "../content/copy.ts";
import type { ImageStore, ReadOnlyImageStore } from "../content/store.ts";
import { runPool } from "../content/_pool.ts";
import type { PlatformSpec } from "../ref/platform.ts";
import { parseIndex } from "../ref/reference.ts";
import { RegistryStore } from "../registry/store.ts";
import { nameWhere } from "../content/_naming.ts";
import { sideStore } from "../content/_side_store.ts";
import { cachedSource, ManifestCache } from "./_cached_source.ts";
import {
  ClientPool,
  indexKey,
  type RegistryOptions,
  type Side,
} from "./_clients.ts";
import {
  type DestinationSpec,
  parseDestination,
  parseSource,
  type SourceSpec,
  type Target,
  targetOf,
} from "./_endpoints.ts";
import { RateGate, type RateLimitPolicy, SyncStopped } from "./_rate_gate.ts";
import {
  deleteMissing,
  type RepositoryJob,
  type RunContext,
  syncTag,
} from "./_repository.ts";
import { type TagFilter, tagMatcher } from "./filters.ts";
import {
  emptyCounts,
  type SyncEvent,
  type SyncImageResult,
  type SyncRepositoryResult,
  type SyncSummary,
  totalsOf,
} from "./summary.ts";

export type { RateLimitPolicy } from "./_rate_gate.ts";
export type { RegistryOptions } from "./_clients.ts";

/**
 * Images synced at once by default.
 *
 * @example
 * ```ts
 * import { DEFAULT_SYNC_CONCURRENCY } from "jsr:@scope/docker-registry-client";
 *
 * console.log(DEFAULT_SYNC_CONCURRENCY); // 4
 * ```
 */
export const DEFAULT_SYNC_CONCURRENCY = 4;

/**
 * What to sync from one source to one destination.
 *
 * @example
 * ```ts
 * import type { SyncPair } from "jsr:@scope/docker-registry-client";
 *
 * const pair: SyncPair = {
 *   source: "127.0.0.1:5000",
 *   repositories: ["team/app"],
 *   destination: "oci:./mirror",
 *   tags: { semver: "^1.4" },
 * };
 * ```
 */
export interface SyncPair {
  /**
   * A registry (`HOST`, `http://HOST:PORT`: its catalog, or
   * `repositories`), a repository (`HOST/PATH`, `docker://…`, `alpine`;
   * with `:TAG`, that tag only), or a store (`oci:DIR`, `oci-archive:FILE`,
   * `docker-archive:FILE`).
   */
  source: string;
  /**
   * For a registry source: a registry and optional prefix (`HOST[/PREFIX]`,
   * each repository keeps its path under it) or a directory of OCI layouts
   * (`oci:DIR`, one layout per repository at `DIR/<path>`). For one
   * repository: the repository it becomes (`HOST/PATH`; a bare `HOST`
   * keeps the source's path) or a store (`oci:DIR`, an archive).
   */
  destination: string;
  /** With a registry source: these repositories rather than the catalog. */
  repositories?: string[];
  /** Which tags; overrides {@linkcode SyncOptions.tags}. */
  tags?: TagFilter;
  /** The platform; overrides {@linkcode SyncOptions.platform}. */
  platform?: string | PlatformSpec;
  /** Overrides {@linkcode SyncOptions.deleteMissing}. */
  deleteMissing?: boolean;
}

/**
 * Options of {@linkcode sync} and {@linkcode syncAll}: which tags, what to
 * do, how many at once, and how to reach the registries (the client
 * options of `createClient`, for both sides; `src`, `dst` and `registries`
 * override them).
 *
 * @example
 * ```ts
 * import type { SyncOptions } from "jsr:@scope/docker-registry-client";
 *
 * const options: SyncOptions = {
 *   tags: { regex: "v1\\..*" },
 *   deleteMissing: true,
 *   concurrency: 8,
 *   rateLimit: { action: "stop" },
 *   dst: { username: "mirror", password: "secret" },
 * };
 * ```
 */
export interface SyncOptions extends RegistryOptions {
  /** Which tags (regex, semver range, exclusion); all by default. */
  tags?: TagFilter;
  /** With a registry source: these repositories rather than the catalog. */
  repositories?: string[];
  /**
   * `"all"` copies indexes whole; a platform (`"linux/amd64"`) copies
   * only its manifest from an index (which then stands alone at the
   * destination, and is what is compared on later runs: an index is read
   * once per digest to find it).
   * @default {"all"}
   */
  platform?: string | PlatformSpec;
  /**
   * Delete the destination tags the source no longer has (only tags the
   * filter would keep). A registry deletes manifests, not tags: a tag whose
   * manifest another remaining tag names is kept (and reported). skopeo
   * and regsync keep them, and so does the default.
   * @default {false}
   */
  deleteMissing?: boolean;
  /**
   * Compare and report, write nothing: tags that would be copied or
   * deleted are reported as `would-copy` and `would-delete`.
   * @default {false}
   */
  dryRun?: boolean;
  /**
   * Images synced at once (each also counts for the `HEAD`s of the tags
   * it compares).
   * @default {4}
   */
  concurrency?: number;
  /**
   * Blobs transferred at once within one image.
   * @default {4}
   */
  blobConcurrency?: number;
  /**
   * Stop at the first failure (images in flight finish; the rest are
   * reported as not attempted), as `skopeo sync` does without
   * `--keep-going`. By default the run goes on with the other images.
   * @default {false}
   */
  failFast?: boolean;
  /** What to do when a source's pull budget is spent (pause by default). */
  rateLimit?: RateLimitPolicy;
  /** Client options for source registries (over the shared ones). */
  src?: RegistryOptions;
  /** Client options for destination registries (over the shared ones). */
  dst?: RegistryOptions;
  /**
   * Client options per registry host (`registry.example.com`,
   * `127.0.0.1:5000`, `docker.io`), over the side's: credentials read from
   * a sync file go here.
   */
  registries?: Record<string, RegistryOptions>;
  /** Called with progress events, synchronously. */
  onEvent?: (event: SyncEvent) => void;
  /** Cancels the run (images in flight stop; the call rejects). */
  signal?: AbortSignal;
}

/** The keys of {@linkcode SyncOptions} that are not client options. */
const SYNC_KEYS = new Set([
  "tags",
  "repositories",
  "platform",
  "deleteMissing",
  "dryRun",
  "concurrency",
  "blobConcurrency",
  "failFast",
  "rateLimit",
  "src",
  "dst",
  "registries",
  "onEvent",
  "signal",
]);

function intOption(
  value: number | undefined,
  fallback: number,
  what: string,
): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new RangeError(
      `Invalid ${what} ${value}: expected an integer from 1 to 64`,
    );
  }
  return n;
}

/** A pair, parsed and checked before anything is asked of a registry. */
interface Plan {
  pair: SyncPair;
  source: SourceSpec;
  destination: DestinationSpec;
  matcher: (tag: string) => boolean;
  platform?: PlatformSpec;
  deleteMissing: boolean;
  repositories?: string[];
}

function planOf(pair: SyncPair, options: SyncOptions): Plan {
  if (typeof pair !== "object" || pair === null) {
    throw new TypeError("Invalid sync pair: expected {source, destination}");
  }
  const source = parseSource(pair.source);
  const destination = parseDestination(pair.destination, source);
  const repositories = pair.repositories ?? options.repositories;
  if (repositories !== undefined && source.kind !== "registry") {
    throw new TypeError(
      `Invalid sync of "${pair.source}": repositories are listed only for a registry source`,
    );
  }
  const platform = platformFilter(pair.platform ?? options.platform);
  const explicitTag = source.kind !== "registry" && source.tag !== undefined;
  return {
    pair,
    source,
    destination,
    matcher: tagMatcher(pair.tags ?? options.tags),
    ...(platform ? { platform } : {}),
    deleteMissing: !explicitTag &&
      (pair.deleteMissing ?? options.deleteMissing ?? false),
    ...(repositories ? { repositories: [...repositories] } : {}),
  };
}

/** A source repository of a plan: its name on a registry, or the store. */
interface Entry {
  plan: Plan;
  name?: string;
}

function sourceLabel(plan: Plan, name: string | undefined): string {
  const s = plan.source;
  if (s.kind === "registry") return `${s.index.name}/${name}`;
  if (s.kind === "repository") return `${s.index.name}/${s.name}`;
  return s.name;
}

function targetLabel(target: Target): string {
  if (target.kind === "repository") {
    return `${target.index.name}/${target.name}`;
  }
  return target.kind === "layout" ? target.dir : target.name;
}

/**
 * Syncs one source into one destination: a repository (all tags, or those
 * `tags` keeps), the `repositories` of a registry, or a whole registry
 * through its catalog. See the module documentation.
 *
 * @param source A registry, a repository, or a store (see {@linkcode SyncPair.source}).
 * @param destination Where it goes (see {@linkcode SyncPair.destination}).
 * @param options Filters, platform, deletion, dry run, concurrency, rate
 * limit, client options, progress, cancellation.
 * @returns The summary: per repository and tag, and totals; `ok` is
 * `false` when anything failed.
 * @throws {TypeError} On a source or destination that cannot be synced
 * (before anything is asked of a registry), or a malformed filter.
 * @throws {RangeError} On a bad concurrency.
 *
 * @example Tags of a semver range, one platform, into a directory of layouts
 * ```ts
 * import { sync } from "jsr:@scope/docker-registry-client";
 *
 * const summary = await sync("http://127.0.0.1:5000", "oci:./mirror", {
 *   repositories: ["team/app", "team/db"],
 *   tags: { semver: ">=1.4 <2" },
 *   platform: "linux/amd64",
 * });
 * if (!summary.ok) console.error(summary.failed, "failed");
 * ```
 */
export function sync(
  source: string,
  destination: string,
  options: SyncOptions = {},
): Promise<SyncSummary> {
  return syncAll([{ source, destination }], options);
}

/**
 * Syncs several source/destination pairs in one run: one pool of images,
 * one auth state per registry, one summary. Each pair's own `tags`,
 * `platform`, `repositories` and `deleteMissing` override the options'.
 *
 * @param pairs What to sync where.
 * @param options As for {@linkcode sync}.
 * @returns The summary of the whole run.
 * @throws {TypeError} On a pair that cannot be synced (before anything is
 * asked of a registry), or a malformed filter.
 * @throws {RangeError} On a bad concurrency.
 *
 * @example Two pairs, from a sync file
 * ```ts
 * import { loadSyncConfig, syncAll } from "jsr:@scope/docker-registry-client";
 *
 * const config = await loadSyncConfig("mirror.yaml");
 * const summary = await syncAll(config.pairs, config.options);
 * console.log(summary.copied, summary.skipped, summary.failed);
 * ```
 */
export async function syncAll(
  pairs: SyncPair[],
  options: SyncOptions = {},
): Promise<SyncSummary> {
  const started = performance.now();
  if (!Array.isArray(pairs)) {
    throw new TypeError("syncAll() expects an array of {source, destination}");
  }
  const concurrency = intOption(
    options.concurrency,
    DEFAULT_SYNC_CONCURRENCY,
    "concurrency",
  );
  const blobConcurrency = intOption(
    options.blobConcurrency,
    DEFAULT_CONCURRENCY,
    "blobConcurrency",
  );
  const plans = pairs.map((p) => planOf(p, options));
  const signal = options.signal ?? new AbortController().signal;
  signal.throwIfAborted();
  const dryRun = options.dryRun ?? false;
  const emit = (event: SyncEvent) => options.onEvent?.(event);
  let stopped: string | undefined;
  const stop = (reason: string) => {
    stopped ??= reason;
  };

  const shared: RegistryOptions = {};
  for (const [key, value] of Object.entries(options)) {
    if (!SYNC_KEYS.has(key) && value !== undefined) {
      (shared as Record<string, unknown>)[key] = value;
    }
  }
  const perHost = new Map<string, RegistryOptions>();
  for (const [host, o] of Object.entries(options.registries ?? {})) {
    perHost.set(parseIndex(host).name, o);
  }
  const clients = new ClientPool((side: Side, host: string) => ({
    ...shared,
    ...options[side],
    ...perHost.get(host),
  }));
  const gates = new Map<string, RateGate>();
  const gateOf = (index: SourceSpec & { kind: "registry" | "repository" }) => {
    const key = indexKey(index.index);
    let gate = gates.get(key);
    if (!gate) {
      gate = new RateGate(
        index.index.name,
        options.rateLimit ?? {},
        emit,
        stop,
        signal,
      );
      gates.set(key, gate);
    }
    return gate;
  };
  const ctx: RunContext = {
    dryRun,
    blobConcurrency,
    cache: new ManifestCache(),
    signal,
  };

  const results: SyncRepositoryResult[] = [];
  const jobs: RepositoryJob[] = [];
  const opened: Array<{ store: ReadOnlyImageStore; write: boolean }> = [];
  const failedRepository = (
    source: string,
    destination: string,
    err: unknown,
  ): SyncRepositoryResult => {
    const error = err instanceof Error ? err.message : String(err);
    emit({ type: "repository-failed", source, destination, error });
    return { source, destination, ...emptyCounts(), error, images: [] };
  };

  try {
    // 1. The repositories of each pair (a registry's from its catalog).
    const entries: Entry[] = [];
    for (const plan of plans) {
      const s = plan.source;
      if (s.kind !== "registry") {
        entries.push({ plan });
        continue;
      }
      let names = plan.repositories;
      if (names === undefined) {
        try {
          names = (await clients.client("src", s.index, "catalog")
            .listCatalog({ signal })).repositories;
        } catch (err) {
          if (signal.aborted) throw err;
          results.push(
            failedRepository(
              `${s.index.name} (catalog)`,
              plan.pair.destination,
              nameWhere(err, "source", s.index.name),
            ),
          );
          continue;
        }
      }
      for (const name of [...new Set(names)].sort()) {
        entries.push({ plan, name });
      }
    }

    // 2. Open each pair of stores and list the source's tags.
    const planned = new Array<RepositoryJob | SyncRepositoryResult>(
      entries.length,
    );
    await runPool(entries, async (entry, _s, i) => {
      const { plan, name } = entry;
      const target = targetOf(plan.destination, name);
      const label = sourceLabel(plan, name);
      const where = targetLabel(target);
      try {
        planned[i] = await openJob(plan, name, target, label, where);
      } catch (err) {
        if (signal.aborted) throw err;
        planned[i] = failedRepository(label, where, err);
      }
    }, { concurrency, signal });
    for (const job of planned) {
      if (!("result" in job)) {
        results.push(job);
        continue;
      }
      jobs.push(job);
      results.push(job.result);
      emit({
        type: "repository",
        source: job.result.source,
        destination: job.result.destination,
        tags: job.tags.length,
      });
    }

    // 3. Every tag of every repository, `concurrency` images at a time.
    const items = jobs.flatMap((job) =>
      job.tags.map((tag, index) => ({ job, tag, index }))
    );
    await runPool(items, async ({ job, tag, index }) => {
      let result: SyncImageResult;
      if (stopped !== undefined) {
        result = { tag, action: "not-attempted", error: stopped };
      } else {
        try {
          result = await syncTag(job, tag, ctx);
        } catch (err) {
          if (!(err instanceof SyncStopped)) throw err;
          result = { tag, action: "not-attempted", error: err.message };
        }
        if (result.action === "failed" && options.failFast) {
          stop(`stopped after the first failure (${job.result.source}:${tag})`);
        }
      }
      job.result.images[index] = result;
      emit({
        type: "image",
        source: job.result.source,
        destination: job.result.destination,
        result,
      });
    }, { concurrency, signal });

    // 4. Tags gone from the source.
    const deleting = jobs.filter((j) => j.deleteMissing);
    await runPool(deleting, async (job) => {
      if (stopped !== undefined) return;
      try {
        for (const result of await deleteMissing(job, ctx)) {
          job.result.images.push(result);
          emit({
            type: "image",
            source: job.result.source,
            destination: job.result.destination,
            result,
          });
        }
      } catch (err) {
        if (signal.aborted) throw err;
        job.result.error = `Cannot delete the tags gone from the source: ${
          err instanceof Error ? err.message : String(err)
        }`;
      }
    }, { concurrency, signal });
  } finally {
    for (const { store, write } of opened) {
      try {
        if (write && (dryRun || signal.aborted)) {
          await (store as ImageStore).discard();
        } else if (write) await (store as ImageStore).close();
      } catch (err) {
        const job = jobs.find((j) => j.destination === store);
        if (job && !signal.aborted) {
          job.result.error = `Cannot finish writing: ${
            err instanceof Error ? err.message : String(err)
          }`;
        }
      }
    }
    clients.close();
  }

  const totals = totalsOf(results);
  return {
    ok: totals.failed === 0 && totals.notAttempted === 0 &&
      stopped === undefined,
    dryRun,
    ...(stopped !== undefined ? { stopped } : {}),
    ...totals,
    repositories: results,
    seconds: +((performance.now() - started) / 1000).toFixed(3),
  };

  /**
   * Opens the stores of one source repository and lists its tags. Their
   * failures say which side they are, and a registry's its host
   * (`destination: 127.0.0.1:5001: Cannot …`).
   */
  async function openJob(
    plan: Plan,
    name: string | undefined,
    target: Target,
    source: string,
    destination: string,
  ): Promise<RepositoryJob> {
    const s = plan.source;
    let src: ReadOnlyImageStore;
    let sourceClient;
    let gate: RateGate | undefined;
    if (s.kind === "store") {
      const { openStore } = await import("../content/transports.ts");
      try {
        src = sideStore(await openStore(s.name), "source");
      } catch (err) {
        throw nameWhere(err, "source", undefined);
      }
      opened.push({ store: src, write: false });
    } else {
      sourceClient = clients.client(
        "src",
        s.index,
        s.kind === "registry" ? name! : s.name,
      );
      src = sideStore(new RegistryStore(sourceClient), "source", s.index.name);
      gate = gateOf(s);
    }
    const host = target.kind === "repository" ? target.index.name : undefined;
    let dst: ImageStore;
    try {
      dst = sideStore(await openTarget(target), "destination", host);
    } catch (err) {
      throw nameWhere(err, "destination", host);
    }
    opened.push({ store: dst, write: true });
    const explicit = s.kind !== "registry" ? s.tag : undefined;
    const tags = explicit !== undefined
      ? [explicit]
      : (await src.listTags({ signal })).filter(plan.matcher).sort();
    if (sourceClient) gate?.observe(sourceClient);
    const result: SyncRepositoryResult = {
      source,
      destination,
      ...emptyCounts(),
      tags: tags.length,
      images: [],
    };
    return {
      source: cachedSource(src, ctx.cache),
      destination: dst,
      ...(sourceClient ? { sourceClient } : {}),
      ...(gate ? { gate } : {}),
      result,
      tags,
      matcher: plan.matcher,
      deleteMissing: plan.deleteMissing,
      ...(plan.platform ? { platform: plan.platform } : {}),
      copied: new Set(),
      inflight: new Map(),
      digests: new Map(),
    };
  }

  /** Opens where a repository goes (a layout is created at its first write). */
  async function openTarget(target: Target): Promise<ImageStore> {
    switch (target.kind) {
      case "repository":
        return new RegistryStore(
          clients.client("dst", target.index, target.name),
        );
      case "layout": {
        const { OciLayout } = await import("../layout/oci_layout.ts");
        return await OciLayout.open(target.dir, { create: "on-write" });
      }
      case "store": {
        const { openStore } = await import("../content/transports.ts");
        return await openStore(target.name, { write: true });
      }
    }
  }
}
