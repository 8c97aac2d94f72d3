// `dreg sync SRC DST`: mirror a repository, a list of repositories or a
// whole registry (its catalog) into a registry or a directory of OCI
// layouts, incrementally; or the pairs of a sync file (`--config`). Also
// what `dreg copy --all-tags` runs.

import type { Command, Io } from "../common.ts";
import {
  clientOptionsArg,
  PLATFORM_FLAG,
  platformArg,
  printJson,
  TRANSFER_FLAGS,
} from "../common.ts";
import {
  boolFlag,
  type FlagSpec,
  type ParsedArgs,
  stringFlag,
  UsageError,
} from "../args.ts";
import { formatBytes, formatDuration, shortDigest } from "../format.ts";
import { removeStaleFor } from "../_cleanup.ts";
import { InterruptedError, interruptible } from "../_signals.ts";
import { ParseError } from "../../lib/errors.ts";
import type { SyncOptions, SyncPair } from "../../lib/sync/sync.ts";
import type {
  SyncEvent,
  SyncImageResult,
  SyncSummary,
} from "../../lib/sync/summary.ts";
import type { TagFilter } from "../../lib/sync/filters.ts";

/** The flags `sync` and `copy --all-tags` share: which tags, how many at once, what to do. */
export const SYNC_FLAGS: Record<string, FlagSpec> = {
  tags: {
    name: "--tags",
    value: "REGEX",
    help: "only tags matching REGEX (anchored: 'v1\\..*')",
  },
  semver: {
    name: "--semver",
    value: "RANGE",
    help:
      "only tags read as versions in RANGE ('>=1.2 <2', '^3.18'; v1.2 and 1.2 count)",
  },
  exclude: {
    name: "--exclude",
    value: "REGEX",
    help: "leave out tags matching REGEX (anchored)",
  },
  dryRun: {
    name: "--dry-run",
    help: "print what would be copied and deleted; write nothing",
  },
  delete: {
    name: "--delete",
    help: "delete destination tags the source no longer has (default: keep)",
  },
  concurrency: {
    name: "--concurrency",
    value: "N",
    help: "images synced at once (default 4)",
  },
  blobConcurrency: {
    name: "--blob-concurrency",
    value: "N",
    help: "blobs transferred at once per image (default 4)",
  },
  failFast: {
    name: "--fail-fast",
    help: "stop at the first failure (default: go on with the others)",
  },
  rateLimit: {
    name: "--rate-limit",
    value: "pause|stop",
    help: "when a source's pull budget is spent (default pause)",
  },
};

const ALL_TAGS: FlagSpec = {
  name: "--all-tags",
  help: "every tag (the default; refuses --tags, --semver, --exclude)",
};
const REPOS: FlagSpec = {
  name: "--repos",
  value: "A,B,…",
  help: "with a registry as SRC: these repositories rather than the catalog",
};
const CONFIG: FlagSpec = {
  name: "--config",
  value: "FILE",
  help: "run the pairs of a sync file (YAML or JSON; see the README)",
};

function countArg(args: ParsedArgs, flag: string): number | undefined {
  const text = stringFlag(args, flag);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 64) {
    throw new UsageError(
      `${flag} must be an integer from 1 to 64, got "${text}"`,
    );
  }
  return n;
}

/** `--tags`, `--semver`, `--exclude` (and `--all-tags`), checked. */
export async function tagFilterArg(
  args: ParsedArgs,
): Promise<TagFilter | undefined> {
  const filter: TagFilter = {};
  const regex = stringFlag(args, "--tags");
  const semver = stringFlag(args, "--semver");
  const exclude = stringFlag(args, "--exclude");
  if (regex !== undefined) filter.regex = regex;
  if (semver !== undefined) filter.semver = semver;
  if (exclude !== undefined) filter.exclude = exclude;
  const any = Object.keys(filter).length > 0;
  if (any && boolFlag(args, "--all-tags")) {
    throw new UsageError("--all-tags takes no --tags, --semver or --exclude");
  }
  if (!any) return undefined;
  const { tagMatcher } = await import("../../lib/sync/filters.ts");
  try {
    tagMatcher(filter);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return filter;
}

/** The run options the flags give (credentials, counts, switches). */
export function syncOptionsArg(args: ParsedArgs): SyncOptions {
  const rate = stringFlag(args, "--rate-limit");
  if (rate !== undefined && rate !== "pause" && rate !== "stop") {
    throw new UsageError(`--rate-limit must be pause or stop, got "${rate}"`);
  }
  const concurrency = countArg(args, "--concurrency");
  const blobConcurrency = countArg(args, "--blob-concurrency");
  return {
    ...clientOptionsArg(args),
    src: clientOptionsArg(args, "src"),
    dst: clientOptionsArg(args, "dst"),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(blobConcurrency !== undefined ? { blobConcurrency } : {}),
    ...(boolFlag(args, "--dry-run") ? { dryRun: true } : {}),
    ...(boolFlag(args, "--delete") ? { deleteMissing: true } : {}),
    ...(boolFlag(args, "--fail-fast") ? { failFast: true } : {}),
    ...(rate !== undefined ? { rateLimit: { action: rate } } : {}),
  };
}

/** One line for an image that was not skipped. */
function imageLine(
  e: Extract<SyncEvent, { type: "image" }>,
  r: SyncImageResult,
): string {
  const where = r.action === "failed" || r.action === "not-attempted"
    ? `${e.source}:${r.tag}`
    : `${e.destination}:${r.tag}`;
  const digest = r.digest ? `  ${shortDigest(r.digest)}` : "";
  const bytes = r.action === "copied" && r.bytes
    ? `  ${formatBytes(r.bytes)}`
    : "";
  const why = r.error ? `: ${r.error}` : "";
  return `${r.action.padEnd(12)} ${where}${digest}${bytes}${why}\n`;
}

function rateLine(e: Extract<SyncEvent, { type: "rate-limit" }>): string {
  const budget = e.limit !== undefined
    ? `${e.remaining ?? 0} of ${e.limit} pulls left`
    : "pull rate limit reached";
  if (e.action === "pause") {
    return `rate limit   ${e.registry}: ${budget}; pausing, next check in ${
      formatDuration((e.checkInMs ?? 0) / 1000)
    }\n`;
  }
  return `rate limit   ${e.registry}: ${
    e.action === "resume"
      ? "pulls granted again; resuming"
      : `${budget}; stopping`
  }\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function repositories(n: number): string {
  return `${n} ${n === 1 ? "repository" : "repositories"}`;
}

/** The summary, for people. */
function summaryText(s: SyncSummary): string {
  const lines: string[] = [];
  for (const r of s.repositories) {
    const parts = r.error !== undefined ? [`failed: ${r.error}`] : [
      s.dryRun ? `${r.planned} to do` : `${r.copied} copied`,
      `${r.skipped} up to date`,
      ...(r.deleted ? [`${r.deleted} deleted`] : []),
      ...(r.failed ? [`${r.failed} failed`] : []),
      ...(r.notAttempted ? [`${r.notAttempted} not attempted`] : []),
    ];
    const bytes = r.bytes ? ` (${formatBytes(r.bytes)})` : "";
    lines.push(
      `${r.source} -> ${r.destination}: ${plural(r.tags, "tag")}: ${
        parts.join(", ")
      }${bytes}`,
    );
  }
  const head = s.dryRun ? "Dry run" : "Synced";
  const done = s.dryRun
    ? [`${s.planned} to copy or delete`, `${s.skipped} up to date`]
    : [
      `${s.copied} copied`,
      `${s.skipped} up to date`,
      `${s.deleted} deleted`,
      `${s.failed} failed`,
    ];
  if (s.notAttempted) done.push(`${s.notAttempted} not attempted`);
  lines.push(
    `${head}: ${repositories(s.repositories.length)}, ${
      plural(s.tags, "tag")
    }: ${done.join(", ")}; ${formatBytes(s.bytes)} in ${
      formatDuration(s.seconds)
    }${s.dryRun ? "; nothing was written" : ""}`,
  );
  return lines.join("\n") + "\n";
}

/** What runs after a sync, within it (`copy --all-tags --signatures`). */
export type AfterSync = (
  summary: SyncSummary,
  signal: AbortSignal,
) => Promise<{ json: Record<string, unknown>; text: string }>;

/**
 * Runs a sync with progress lines and the summary; exit 1 when anything
 * failed or the run stopped, 130 or 143 when interrupted (SIGINT,
 * SIGTERM: archives being written are discarded), 2 for pairs that cannot
 * be synced. Stale temporary files at store destinations are removed
 * first.
 */
export async function runSync(
  args: ParsedArgs,
  io: Io,
  pairs: SyncPair[],
  options: SyncOptions,
  after?: AfterSync,
): Promise<number> {
  const json = args.flags.has("--json");
  const write = json ? (t: string) => io.err(t) : (t: string) => io.out(t);
  for (const pair of pairs) {
    if (/^(oci|oci-archive|docker-archive):/.test(pair?.destination ?? "")) {
      await removeStaleFor(pair.destination, io);
    }
  }
  let started = false;
  const onEvent = (e: SyncEvent) => {
    started = true;
    if (e.type === "image") {
      if (e.result.action !== "skipped" && (!json || e.result.error)) {
        write(imageLine(e, e.result));
      }
    } else if (e.type === "repository-failed") {
      write(`${"failed".padEnd(12)} ${e.source}: ${e.error}\n`);
    } else if (e.type === "rate-limit") write(rateLine(e));
  };
  const { syncAll } = await import("../../lib/sync/sync.ts");
  let summary: SyncSummary;
  let extra: Awaited<ReturnType<AfterSync>> | undefined;
  try {
    ({ summary, extra } = await interruptible(async (signal) => {
      const summary = await syncAll(pairs, { ...options, onEvent, signal });
      return {
        summary,
        extra: after && !summary.dryRun
          ? await after(summary, signal)
          : undefined,
      };
    }));
  } catch (err) {
    if (err instanceof InterruptedError) {
      io.err(
        `error: ${err.message} (images already copied are kept; a new run skips them)\n`,
      );
      return err.exitCode;
    }
    if (
      !started &&
      (err instanceof TypeError || err instanceof RangeError ||
        err instanceof ParseError)
    ) throw new UsageError(err.message);
    throw err;
  }
  if (json) printJson(io, { ...summary, ...extra?.json });
  else io.out(summaryText(summary) + (extra?.text ?? ""));
  if (summary.stopped !== undefined) {
    io.err(`error: stopped: ${summary.stopped}\n`);
    return 1;
  }
  if (!summary.ok) {
    const repos = summary.repositories.filter((r) => r.error).length;
    const tags = summary.failed - repos;
    const what = [
      ...(repos ? [repositories(repos)] : []),
      ...(tags ? [plural(tags, "tag")] : []),
    ];
    io.err(`error: ${what.join(" and ")} failed\n`);
    return 1;
  }
  return 0;
}

export const sync: Command = {
  name: "sync",
  args: "SRC DST",
  summary: "Mirror repositories or a registry, incrementally.",
  description:
    "SRC is a repository (HOST/PATH, alpine; with :TAG, that tag only), a\n" +
    "registry (HOST: its catalog, or --repos), or an OCI layout (oci:DIR).\n" +
    "For one repository, DST is the repository it becomes (HOST/PATH; a bare\n" +
    "HOST keeps the path) or oci:DIR; for a registry, DST is HOST[/PREFIX]\n" +
    "(each repository keeps its path under it) or oci:DIR (one layout per\n" +
    "repository at DIR/<path>). Each tag is compared with a HEAD on each side\n" +
    "and skipped when the digests match: a second run with nothing changed\n" +
    "uploads nothing. Indexes are copied whole unless --platform is given.\n" +
    "Tags gone from the source are kept unless --delete. A failed image or\n" +
    "repository is reported and the others go on (unless --fail-fast); the\n" +
    "exit code is 1 when anything failed. With --config FILE, the pairs of a\n" +
    "sync file are run (no SRC DST).",
  examples: [
    "dreg sync http://127.0.0.1:5000/app http://127.0.0.1:5001/mirror/app",
    "dreg sync --semver '>=3.18' --platform linux/amd64 alpine registry.example.com/mirror/alpine",
    "dreg sync --dry-run --delete 127.0.0.1:5000 127.0.0.1:5001/backup",
    "dreg sync --repos team/app,team/db 127.0.0.1:5000 oci:./mirror",
    "dreg sync --config mirror.yaml --json",
  ],
  flags: [
    ALL_TAGS,
    SYNC_FLAGS.tags,
    SYNC_FLAGS.semver,
    SYNC_FLAGS.exclude,
    REPOS,
    PLATFORM_FLAG,
    SYNC_FLAGS.dryRun,
    SYNC_FLAGS.delete,
    SYNC_FLAGS.concurrency,
    SYNC_FLAGS.blobConcurrency,
    SYNC_FLAGS.failFast,
    SYNC_FLAGS.rateLimit,
    CONFIG,
    TRANSFER_FLAGS.src,
    TRANSFER_FLAGS.dst,
  ],
  arity: [0, 2],
  async run(args, io) {
    const options = syncOptionsArg(args);
    const file = stringFlag(args, "--config");
    if (file !== undefined) {
      if (args.positional.length) {
        throw new UsageError("--config takes no SRC DST: the file names them");
      }
      for (
        const f of ["--tags", "--semver", "--exclude", "--repos", "--platform"]
      ) {
        if (args.flags.has(f)) {
          throw new UsageError(`with --config, ${f} is set in the file`);
        }
      }
      const { loadSyncConfig } = await import("../../lib/sync/config.ts");
      const config = await loadSyncConfig(file);
      const { src, dst, ...cli } = options;
      return await runSync(args, io, config.pairs, {
        ...config.options,
        ...cli,
        src: src ?? {},
        dst: dst ?? {},
        ...(options.rateLimit
          ? { rateLimit: { ...config.options.rateLimit, ...options.rateLimit } }
          : {}),
      });
    }
    if (args.positional.length !== 2) {
      throw new UsageError(
        `dreg sync takes SRC DST, or --config FILE (${args.positional.length} arguments given)`,
      );
    }
    const [source, destination] = args.positional;
    const tags = await tagFilterArg(args);
    const platform = platformArg(args);
    const repos = stringFlag(args, "--repos");
    const pair: SyncPair = {
      source,
      destination,
      ...(tags ? { tags } : {}),
      ...(platform ? { platform } : {}),
      ...(repos !== undefined
        ? {
          repositories: repos.split(",").map((r) => r.trim()).filter(Boolean),
        }
        : {}),
    };
    return await runSync(args, io, [pair], options);
  },
};

/** `--all-tags` of `dreg copy`. */
export const ALL_TAGS_FLAG: FlagSpec = {
  name: "--all-tags",
  help: "copy every tag of SRC_REPO to DST_REPO (as dreg sync does)",
};

/**
 * `copy --all-tags --signatures`: after the sync, the signatures,
 * attestations and SBOMs of each image a tag names at the source (cosign
 * tags, and referrers) are copied to the destination.
 */
function copyingSignatures(
  args: ParsedArgs,
  source: string,
  destination: string,
): AfterSync {
  return async (summary, signal) => {
    const { parseDestination, parseSource, targetOf } = await import(
      "../../lib/sync/_endpoints.ts"
    );
    const { repositoryRef } = await import("../../lib/sync/_clients.ts");
    const { openStoreArg, sharingTargetAuth } = await import("./_build.ts");
    const { copySignatures } = await import(
      "../../lib/artifact/signatures.ts"
    );
    const target = targetOf(
      parseDestination(destination, parseSource(source)),
      undefined,
    );
    const to = target.kind === "repository"
      ? repositoryRef(target.index, target.name)
      : target.kind === "layout"
      ? `oci:${target.dir}`
      : target.name;
    const digests = new Set<string>();
    for (const r of summary.repositories) {
      for (const i of r.images) {
        if ((i.action === "copied" || i.action === "skipped") && i.digest) {
          digests.add(i.digest);
        }
      }
    }
    let from = await openStoreArg(args, source, {
      what: "source",
      side: "source",
    });
    const copied = [];
    try {
      const dst = await openStoreArg(args, to, {
        what: "destination",
        side: "destination",
        write: true,
      });
      try {
        from = await sharingTargetAuth(args, from, source, dst);
        for (const digest of digests) {
          copied.push(
            ...await copySignatures(from, dst, { reference: digest, signal }),
          );
        }
        const closable = dst as {
          close(options?: { signal?: AbortSignal }): Promise<void>;
        };
        await closable.close({ signal });
      } catch (err) {
        await dst.discard().catch(() => {});
        throw err;
      }
    } finally {
      await from.close().catch(() => {});
    }
    return {
      json: { signatures: copied },
      text:
        `Copied ${copied.length} signatures, attestations and SBOMs of ${digests.size} image${
          digests.size === 1 ? "" : "s"
        }\n`,
    };
  };
}

/**
 * `dreg copy --all-tags SRC_REPO DST_REPO`: every tag, through sync (so a
 * second run copies only what changed). `--concurrency` keeps its copy
 * meaning (blobs at once, per image); `--signatures` copies each image's
 * signatures, attestations and SBOMs after.
 */
export async function copyAllTags(args: ParsedArgs, io: Io): Promise<number> {
  for (const f of ["--referrers", "--trust-existing"]) {
    if (args.flags.has(f)) throw new UsageError(`--all-tags takes no ${f}`);
  }
  const [source, destination] = args.positional;
  const { parseSource } = await import("../../lib/sync/_endpoints.ts");
  let kind: string;
  let tag: string | undefined;
  try {
    const parsed = parseSource(source);
    kind = parsed.kind;
    tag = parsed.kind === "registry" ? undefined : parsed.tag;
  } catch (err) {
    throw new UsageError(`invalid source: ${(err as Error).message}`);
  }
  if (kind === "registry") {
    throw new UsageError(
      "--all-tags copies a repository: for a whole registry, use dreg sync",
    );
  }
  if (tag !== undefined) {
    throw new UsageError(
      `--all-tags copies every tag: give SRC without ":${tag}"`,
    );
  }
  const platform = platformArg(args);
  const blobs = countArg(args, "--concurrency");
  const options: SyncOptions = {
    ...clientOptionsArg(args),
    src: clientOptionsArg(args, "src"),
    dst: clientOptionsArg(args, "dst"),
    ...(blobs !== undefined ? { blobConcurrency: blobs } : {}),
  };
  return await runSync(
    args,
    io,
    [{ source, destination, ...(platform ? { platform } : {}) }],
    options,
    args.flags.has("--signatures")
      ? copyingSignatures(args, source, destination)
      : undefined,
  );
}
