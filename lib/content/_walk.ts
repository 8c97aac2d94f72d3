// Private: walking an image's graph. From a root manifest: an index's
// manifests, an image manifest's config and layers, and (on request) the
// referrers of every manifest met, recursively. Manifests are listed
// children first, so writing them in order never writes a manifest before
// what it points to; blobs are listed once each.
//
// The walk is bounded (`WalkBudget`): how deep manifests nest below the
// root, how many manifests and descriptors it visits, how many manifest
// bytes it reads; going over is a `LimitExceededError` at once. It runs
// level by level from one queue with at most `concurrency` reads in flight
// (not a pool per index, whose reads would multiply with the depth), and
// orders the manifests afterwards with an explicit stack: its memory is the
// manifests it read, which the budget bounds, never a chain of pending
// calls as deep as the graph.

import { LimitExceededError } from "../errors.ts";
import {
  type Descriptor,
  type ImageManifest,
  isImageIndex,
  isImageManifest,
} from "../ref/media_types.ts";
import type { ManifestData, ReadOnlyImageStore } from "./store.ts";

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

/** The bounds of one walk. */
export interface WalkLimits {
  /** How deep manifests may nest below the root (index entries, referrers). */
  maxIndexDepth: number;
  /** How many manifests one walk visits, the root included. */
  maxManifests: number;
  /** How many descriptors (index entries, configs, layers, referrers) it reads. */
  maxDescriptors: number;
  /** How many manifest bytes it reads, all manifests together. */
  maxTotalManifestBytes: number;
}

/**
 * The defaults, far above any real image: a multi-platform image with
 * attestations and signatures nests 2 to 4 deep, holds tens of manifests,
 * a few thousand descriptors and well under a MiB of manifests.
 */
export const DEFAULT_WALK_LIMITS: Readonly<WalkLimits> = Object.freeze({
  maxIndexDepth: 8,
  maxManifests: 10_000,
  maxDescriptors: 100_000,
  maxTotalManifestBytes: 64 * 1024 * 1024,
});

/** Counts what one operation reads against its {@linkcode WalkLimits}. */
export class WalkBudget {
  readonly limits: WalkLimits;
  readonly #attempted: string;
  #manifests = 0;
  #descriptors = 0;
  #bytes = 0;

  /**
   * @param limits The bounds.
   * @param attempted What the operation is, for messages.
   */
  constructor(limits: WalkLimits, attempted: string) {
    this.limits = limits;
    this.#attempted = attempted;
  }

  /** One more manifest (`bytes` read, `undefined` when it was not read). */
  manifest(bytes: number | undefined): void {
    this.#check("manifests", ++this.#manifests, "maxManifests");
    if (bytes !== undefined) {
      this.#bytes += bytes;
      this.#check(
        "manifest bytes",
        this.#bytes,
        "maxTotalManifestBytes",
        "bytes",
      );
    }
  }

  /** `n` more descriptors read. */
  descriptors(n: number): void {
    this.#descriptors += n;
    this.#check("descriptors", this.#descriptors, "maxDescriptors");
  }

  /** A manifest `depth` levels below the root. */
  depth(depth: number): void {
    this.#check("index nesting depth", depth, "maxIndexDepth");
  }

  #check(
    what: string,
    value: number,
    option: keyof WalkLimits,
    unit?: string,
  ): void {
    const limit = this.limits[option];
    if (value > limit) {
      throw new LimitExceededError(
        this.#attempted,
        what,
        value,
        limit,
        option,
        unit,
      );
    }
  }
}

/** Options of {@linkcode walkGraph}. */
export interface WalkOptions {
  /** Follow referrers. */
  referrers: boolean;
  /** How many manifests to read at once. */
  concurrency: number;
  /** Whether the destination has a manifest; such subtrees are not walked. */
  isPresent?: (descriptor: Descriptor, signal: AbortSignal) => Promise<boolean>;
  /** The bounds; the root must already be counted. */
  budget: WalkBudget;
  /** The error for a malformed manifest of the source. */
  fail: (problem: string) => Error;
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

/** A manifest of the graph while it is walked. */
interface Node {
  descriptor: Descriptor;
  referrer: boolean;
  depth: number;
  data?: ManifestData;
  present: boolean;
  /** Digests of the index's entries, in order. */
  children: string[];
  /** Digests of its referrers. */
  referrers: string[];
}

/**
 * Walks the graph from `root` (already read from the source, and counted in
 * the budget).
 *
 * @returns The manifests in write order and the distinct blobs.
 * @throws {LimitExceededError} As soon as the walk goes over a bound.
 */
export async function walkGraph(
  source: ReadOnlyImageStore,
  root: ManifestData,
  options: WalkOptions,
): Promise<ImageGraph> {
  const { budget, signal } = options;
  const nodes = new Map<string, Node>();
  const blobs = new Map<string, Descriptor>();
  const queue = new TaskQueue(options.concurrency, signal);

  /** The node of a descriptor met at `depth`; a new one is read. */
  const meet = (d: Descriptor, referrer: boolean, depth: number): string => {
    if (typeof d?.digest !== "string") {
      throw options.fail("a descriptor has no digest");
    }
    if (!nodes.has(d.digest)) {
      budget.depth(depth);
      const node: Node = {
        descriptor: d,
        referrer,
        depth,
        present: false,
        children: [],
        referrers: [],
      };
      nodes.set(d.digest, node);
      queue.add((s) => visit(node, s));
    }
    return d.digest;
  };

  const accept = (node: Node, data: ManifestData) => {
    node.data = data;
    const m = data.manifest;
    const found = blobsOf(data);
    const entries = isImageIndex(m) ? m.manifests : [];
    budget.descriptors(entries.length + found.length);
    for (const d of entries) {
      node.children.push(meet(d, node.referrer, node.depth + 1));
    }
    for (const b of found) if (!blobs.has(b.digest)) blobs.set(b.digest, b);
    if (options.referrers) queue.add((s) => visitReferrers(node, s));
  };

  const visit = async (node: Node, s: AbortSignal) => {
    if (
      options.isPresent && !options.referrers &&
      await options.isPresent(node.descriptor, s)
    ) {
      budget.manifest(undefined);
      node.present = true;
      return;
    }
    const data = await source.fetchManifest(node.descriptor, { signal: s });
    budget.manifest(data.bytes.byteLength);
    accept(node, data);
  };

  const visitReferrers = async (node: Node, s: AbortSignal) => {
    const list = await source.referrers(node.descriptor.digest, { signal: s });
    budget.descriptors(list.length);
    for (const d of list) node.referrers.push(meet(d, true, node.depth + 1));
  };

  const rootNode: Node = {
    descriptor: root.descriptor,
    referrer: false,
    depth: 0,
    present: false,
    children: [],
    referrers: [],
  };
  nodes.set(root.descriptor.digest, rootNode);
  queue.add(() => Promise.resolve(accept(rootNode, root)));
  await queue.done();
  return { manifests: writeOrder(rootNode, nodes), blobs: [...blobs.values()] };
}

/**
 * The manifests in write order: an index's entries (and theirs) before the
 * index, a manifest's referrers after it. An explicit stack, as deep as the
 * graph (which the budget bounds).
 */
function writeOrder(root: Node, nodes: Map<string, Node>): GraphManifest[] {
  const out: GraphManifest[] = [];
  const entered = new Set<Node>([root]);
  const stack: { node: Node; after: boolean; i: number }[] = [
    { node: root, after: false, i: 0 },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const list = top.after ? top.node.referrers : top.node.children;
    if (top.i < list.length) {
      const next = nodes.get(list[top.i++])!;
      if (!entered.has(next)) {
        entered.add(next);
        stack.push({ node: next, after: false, i: 0 });
      }
      continue;
    }
    if (top.after) {
      stack.pop();
      continue;
    }
    const { node } = top;
    out.push({
      ...(node.data ? { data: node.data } : {}),
      descriptor: node.data?.descriptor ?? node.descriptor,
      referrer: node.referrer,
      present: node.present,
    });
    top.after = true;
    top.i = 0;
  }
  return out;
}

/**
 * Tasks run at most `concurrency` at a time, in the order added, tasks
 * adding more as they go; the first failure stops it (the tasks in flight
 * see their signal abort) and is what `done()` rejects with.
 */
class TaskQueue {
  readonly #concurrency: number;
  readonly #tasks: ((signal: AbortSignal) => Promise<void>)[] = [];
  readonly #failed = new AbortController();
  readonly #signal: AbortSignal;
  #head = 0;
  #active = 0;
  #error: { error: unknown } | undefined;
  #settle?: { resolve: () => void; reject: (err: unknown) => void };

  constructor(concurrency: number, signal: AbortSignal) {
    this.#concurrency = Math.max(1, Math.floor(concurrency));
    this.#signal = AbortSignal.any([signal, this.#failed.signal]);
  }

  add(task: (signal: AbortSignal) => Promise<void>): void {
    this.#tasks.push(task);
    this.#pump();
  }

  /** Resolves when every task has run; rejects with the first failure. */
  done(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#finishIfIdle();
    });
  }

  #pump(): void {
    while (
      this.#active < this.#concurrency && this.#head < this.#tasks.length &&
      !this.#signal.aborted
    ) {
      const task = this.#tasks[this.#head];
      this.#tasks[this.#head++] = undefined!; // released as it starts
      if (this.#head > 1024 && this.#head * 2 > this.#tasks.length) {
        this.#tasks.splice(0, this.#head);
        this.#head = 0;
      }
      this.#active++;
      let running: Promise<void>;
      try {
        running = task(this.#signal);
      } catch (error) {
        running = Promise.reject(error);
      }
      running.then(
        () => this.#end(),
        (error) => {
          if (!this.#error) {
            this.#error = { error };
            this.#failed.abort(
              new DOMException(
                "another read of the image failed",
                "AbortError",
              ),
            );
          }
          this.#end();
        },
      );
    }
  }

  #end(): void {
    this.#active--;
    this.#pump();
    this.#finishIfIdle();
  }

  #finishIfIdle(): void {
    if (this.#settle === undefined || this.#active > 0) return;
    if (this.#error) return this.#settle.reject(this.#error.error);
    if (this.#signal.aborted) return this.#settle.reject(this.#signal.reason);
    if (this.#head >= this.#tasks.length) this.#settle.resolve();
  }
}
