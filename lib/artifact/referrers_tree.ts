/**
 * The tree of what refers to a manifest: its referrers (signatures, SBOMs,
 * attestations …), their referrers (a signature of an SBOM …), and so on,
 * bounded in depth and count, optionally narrowed to one artifact type.
 *
 * @example
 * ```ts
 * import { referrersTree, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const tree = await referrersTree(new RegistryStore("http://127.0.0.1:5000/app:1"));
 * console.log(tree.count, tree.root.referrers.map((r) => r.descriptor.artifactType));
 * ```
 *
 * @module
 */

import type { Descriptor } from "../ref/media_types.ts";
import type { ReadOnlyImageStore, StoreCallOptions } from "../content/store.ts";
import { runPool } from "../content/_pool.ts";

/** One manifest of a referrers tree, with what refers to it. */
export interface ReferrerNode {
  /** The manifest (for a referrer: as the referrers list gives it, with its artifact type and annotations). */
  descriptor: Descriptor;
  /** What refers to it. */
  referrers: ReferrerNode[];
  /** Set when it has referrers that were not listed (a bound was reached). */
  truncated?: true;
  /**
   * With an artifact type filter: `false` for a referrer shown only
   * because something of the type refers to it.
   */
  matched?: boolean;
}

/** What {@linkcode referrersTree} returns. */
export interface ReferrersTree {
  /** The manifest the tree starts from. */
  root: ReferrerNode;
  /** The store, for display. */
  name: string;
  /** The referrers in the tree (the root not counted). */
  count: number;
  /** Whether a bound cut the tree short somewhere. */
  truncated: boolean;
}

/** Options of {@linkcode referrersTree}. */
export interface ReferrersTreeOptions extends StoreCallOptions {
  /** The tag or digest to start from; by default the store's reference. */
  reference?: string;
  /**
   * Only referrers of this artifact type, and those that lead to one (a
   * signature of an SBOM shows the SBOM, marked `matched: false`).
   */
  artifactType?: string;
  /** How many levels of referrers are listed. @default {8} */
  maxDepth?: number;
  /** The most referrers listed in all. @default {1000} */
  maxReferrers?: number;
  /** Referrers lists read at once. @default {4} */
  concurrency?: number;
}

function bound(value: number | undefined, fallback: number, what: string) {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `Invalid ${what} ${value}: expected a positive integer`,
    );
  }
  return n;
}

/** Keeps the nodes of the type and those leading to one; `false` when none. */
function prune(node: ReferrerNode, artifactType: string): boolean {
  node.referrers = node.referrers.filter((r) => prune(r, artifactType));
  const matched = node.descriptor.artifactType === artifactType;
  node.matched = matched;
  return matched || node.referrers.length > 0;
}

function countOf(node: ReferrerNode): number {
  return node.referrers.reduce((n, r) => n + 1 + countOf(r), 0);
}

/**
 * Lists what refers to a manifest, recursively, level by level (each
 * level's referrers lists read a few at once), as `oras discover` shows
 * it. A manifest met twice is listed once. Bounds keep a hostile or huge
 * graph from running on: past `maxDepth` levels or `maxReferrers`
 * referrers, the nodes cut short are marked `truncated`.
 *
 * @param store Where the manifest is (any store; a registry uses the
 * referrers API or its fallback tag).
 * @param options Where to start, an artifact type, bounds, cancellation.
 * @returns The tree.
 * @throws {RangeError} When a bound is not a positive integer.
 * @throws {NotFoundError} (registry) or {StoreError} when the manifest is not there.
 *
 * @example Only signatures, wherever they are in the tree
 * ```ts
 * import { referrersTree, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const tree = await referrersTree(new RegistryStore("http://127.0.0.1:5000/app:1"), {
 *   artifactType: "application/vnd.cncf.notary.signature",
 * });
 * console.log(JSON.stringify(tree.root, null, 2));
 * ```
 */
export async function referrersTree(
  store: ReadOnlyImageStore,
  options: ReferrersTreeOptions = {},
): Promise<ReferrersTree> {
  const maxDepth = bound(options.maxDepth, 8, "maxDepth");
  const maxReferrers = bound(options.maxReferrers, 1000, "maxReferrers");
  const concurrency = bound(options.concurrency, 4, "concurrency");
  const { signal } = options;
  const rootDescriptor = await store.resolve(options.reference, { signal });
  const root: ReferrerNode = { descriptor: rootDescriptor, referrers: [] };
  const seen = new Set([rootDescriptor.digest]);
  let count = 0;
  let truncated = false;
  let level = [root];
  for (let depth = 0; level.length > 0; depth++) {
    const lists = await runPool(
      level,
      (node, s) => store.referrers(node.descriptor.digest, { signal: s }),
      { concurrency, signal },
    );
    const next: ReferrerNode[] = [];
    level.forEach((node, i) => {
      const fresh = lists[i].filter((d) => !seen.has(d.digest));
      if (fresh.length === 0) return;
      if (depth >= maxDepth) {
        node.truncated = true;
        truncated = true;
        return;
      }
      for (const d of fresh) {
        if (count >= maxReferrers) {
          node.truncated = true;
          truncated = true;
          break;
        }
        seen.add(d.digest);
        count++;
        const child: ReferrerNode = { descriptor: d, referrers: [] };
        node.referrers.push(child);
        next.push(child);
      }
    });
    level = next;
  }
  if (options.artifactType !== undefined) {
    prune(root, options.artifactType);
    delete root.matched;
  }
  return {
    root,
    name: store.name,
    count: countOf(root),
    truncated,
  };
}
