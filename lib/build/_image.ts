// Private: what append, mutate, index and validate share. Reading an
// image's manifest and config from a store, writing JSON content, copying
// the blobs (or whole subtrees) a destination lacks, and rewriting an image
// or every platform of an index while keeping every untouched byte as it was.

import { arch } from "node:os";
import process from "node:process";
import { RegistryError, StoreError } from "../errors.ts";
import { digestOf, isDigest } from "../ref/digest.ts";
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  isImageIndex,
  isImageManifest,
  isSchema1Manifest,
  MEDIA_TYPE,
  type Platform,
} from "../ref/media_types.ts";
import {
  formatPlatform,
  parsePlatform,
  type PlatformSpec,
  selectPlatform,
} from "../ref/platform.ts";
import { collectBounded } from "../content/_manifest.ts";
import { runPool } from "../content/_pool.ts";
import {
  DEFAULT_WALK_LIMITS,
  WalkBudget,
  walkGraph,
} from "../content/_walk.ts";
import type {
  ImageStore,
  ManifestData,
  ReadOnlyImageStore,
  RepositoryLocation,
} from "../content/store.ts";
import type {
  BuildOptions,
  BuildResult,
  BuiltImage,
  ImageConfig,
} from "./types.ts";

/** Configs are read whole, up to this size. */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** The default number of blobs copied at once. */
const DEFAULT_CONCURRENCY = 4;

/** Config media types of images (not artifacts). */
const IMAGE_CONFIG_TYPES = new Set<string>([
  MEDIA_TYPE.OCI_CONFIG,
  MEDIA_TYPE.DOCKER_CONFIG,
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The error for a problem with an image in a store. */
export function storeProblem(
  store: ReadOnlyImageStore,
  attempted: string,
  problem: string,
): Error {
  return store.kind === "registry"
    ? new RegistryError(`Cannot ${attempted}: ${problem}`)
    : new StoreError(attempted, problem, store.name);
}

/** A concurrency option, checked. */
export function concurrencyOf(value: number | undefined): number {
  const n = value ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new RangeError(
      `Invalid concurrency ${value}: expected an integer from 1 to 64`,
    );
  }
  return n;
}

/** JSON as the bytes written: compact, UTF-8. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Reads a small JSON blob whole, verified, and parses it as an object. */
export async function readJsonBlob(
  store: ReadOnlyImageStore,
  descriptor: Descriptor,
  what: string,
  signal?: AbortSignal,
): Promise<{ bytes: Uint8Array; value: Record<string, unknown> }> {
  const attempted = `read the ${what} ${descriptor.digest} of "${store.name}"`;
  if (descriptor.size > MAX_CONFIG_BYTES) {
    throw storeProblem(
      store,
      attempted,
      `${descriptor.size} bytes is over the ${MAX_CONFIG_BYTES}-byte limit`,
    );
  }
  const bytes = await collectBounded(
    await store.fetch(descriptor, { signal }),
    MAX_CONFIG_BYTES,
    () =>
      storeProblem(
        store,
        attempted,
        `it is over the ${MAX_CONFIG_BYTES}-byte limit`,
      ),
  );
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw storeProblem(store, attempted, "it is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw storeProblem(store, attempted, "it is not a JSON object");
  }
  return { bytes, value: value as Record<string, unknown> };
}

/** Reads an image config; checks the fields every image has. */
export async function readImageConfig(
  store: ReadOnlyImageStore,
  descriptor: Descriptor,
  signal?: AbortSignal,
): Promise<{ bytes: Uint8Array; config: ImageConfig }> {
  const { bytes, value } = await readJsonBlob(
    store,
    descriptor,
    "config",
    signal,
  );
  const config = value as ImageConfig;
  const rootfs = config.rootfs as ImageConfig["rootfs"] | undefined;
  if (
    typeof rootfs !== "object" || rootfs === null ||
    !Array.isArray(rootfs.diff_ids)
  ) {
    throw storeProblem(
      store,
      `read the config ${descriptor.digest} of "${store.name}"`,
      "it has no rootfs.diff_ids",
    );
  }
  return { bytes, config };
}

/** Pushes JSON content; returns its descriptor. */
export async function pushJson(
  store: ImageStore,
  mediaType: string,
  value: unknown,
  options: { tag?: string; listed?: boolean; signal?: AbortSignal } = {},
): Promise<Descriptor> {
  const bytes = encodeJson(value);
  const descriptor: Descriptor = {
    mediaType,
    digest: digestOf(bytes),
    size: bytes.byteLength,
  };
  await store.push(descriptor, bytes, options);
  return descriptor;
}

/**
 * The tag the result is written under: the one asked for, else the
 * destination's reference when it is a tag. A destination opened on a
 * digest cannot take a new image.
 */
export function targetTag(
  target: ReadOnlyImageStore,
  tag: string | undefined,
): string | undefined {
  if (tag !== undefined) return tag;
  const ref = target.reference;
  if (ref !== undefined && isDigest(ref)) {
    throw new TypeError(
      `Cannot write a new image to "${target.name}": it names a digest (${ref}); give a tag instead`,
    );
  }
  return ref;
}

/** `DIR:TAG` for a layout or archive, the reference for a registry. */
export function destinationName(
  target: ReadOnlyImageStore,
  tag: string | undefined,
): string {
  if (target.kind === "registry") {
    const at = target.name.search(/[@]|:[^:/]*$/);
    const repo = at < 0 ? target.name : target.name.slice(0, at);
    return tag === undefined ? repo : `${repo}:${tag}`;
  }
  return tag === undefined ? target.name : `${target.name}:${tag}`;
}

/** `SOURCE_DATE_EPOCH` as a date, when it is set (and may be read). */
export function sourceDateEpoch(): Date | undefined {
  let text: string | undefined;
  try {
    text = process.env.SOURCE_DATE_EPOCH;
  } catch {
    return undefined; // no permission to read the environment
  }
  if (text === undefined || text.trim() === "") return undefined;
  if (!/^\d{1,12}$/.test(text.trim())) {
    throw new RangeError(
      `Invalid SOURCE_DATE_EPOCH "${
        text.slice(0, 40)
      }": expected seconds since 1970`,
    );
  }
  return new Date(Number(text.trim()) * 1000);
}

/**
 * A time as an image config writes it: RFC 3339 in UTC, whole seconds
 * (`2024-01-02T03:04:05Z`). Accepts a date, seconds since 1970, or text
 * `Date` parses.
 */
export function timestamp(value: Date | string | number): string {
  const date = typeof value === "number"
    ? new Date(value * 1000)
    : typeof value === "string"
    ? new Date(/^\d+$/.test(value) ? Number(value) * 1000 : value)
    : value;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError(
      `Invalid time "${
        String(value).slice(0, 60)
      }": expected RFC 3339 or seconds since 1970`,
    );
  }
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The host's CPU as image configs name it (Node's `x64` is `amd64` …). */
const ARCHITECTURES: Record<string, Platform> = {
  x64: { os: "linux", architecture: "amd64" },
  arm64: { os: "linux", architecture: "arm64", variant: "v8" },
  arm: { os: "linux", architecture: "arm", variant: "v7" },
  ia32: { os: "linux", architecture: "386" },
  ppc64: { os: "linux", architecture: "ppc64le" },
  s390x: { os: "linux", architecture: "s390x" },
  riscv64: { os: "linux", architecture: "riscv64" },
  loong64: { os: "linux", architecture: "loong64" },
};

/** `linux` and the host's architecture (images are Linux images wherever they are built). */
export function hostPlatform(): Platform {
  const p = ARCHITECTURES[arch()] ?? { os: "linux", architecture: arch() };
  return { ...p };
}

/** A platform option as a full platform (os and architecture required). */
export function platformOf(value: string | PlatformSpec): Platform {
  const spec = typeof value === "string" ? parsePlatform(value) : value;
  if (!spec?.os || !spec.architecture) {
    throw new TypeError(
      `Invalid platform "${
        typeof value === "string" ? value : formatPlatform(value)
      }": expected os/architecture[/variant]`,
    );
  }
  return {
    os: spec.os,
    architecture: spec.architecture,
    ...(spec.variant ? { variant: spec.variant } : {}),
  };
}

/** The platform an image config declares, as an index entry lists it. */
export function platformOfConfig(config: ImageConfig): Platform {
  const p: Platform = {
    os: String(config.os ?? ""),
    architecture: String(config.architecture ?? ""),
  };
  if (typeof config.variant === "string" && config.variant) {
    p.variant = config.variant;
  }
  if (typeof config["os.version"] === "string" && config["os.version"]) {
    p["os.version"] = config["os.version"];
  }
  if (
    Array.isArray(config["os.features"]) && config["os.features"].length > 0
  ) {
    p["os.features"] = [...config["os.features"]];
  }
  return p;
}

/**
 * Whether an index entry is an attestation (BuildKit's provenance and SBOM
 * manifests, listed as `unknown/unknown`) rather than a platform's image.
 */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.["vnd.docker.reference.type"] ===
      "attestation-manifest" ||
    d.platform?.os === "unknown" || d.platform?.architecture === "unknown";
}

/** Whether a descriptor names an image manifest (not an index or artifact). */
function isImageManifestType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE.OCI_MANIFEST ||
    mediaType === MEDIA_TYPE.DOCKER_MANIFEST;
}

/** Copies whatever the destination lacks, given its source. */
export interface Transfer {
  source: ReadOnlyImageStore;
  target: ImageStore;
  concurrency: number;
  signal?: AbortSignal;
}

/** Where blobs of the source can be mounted from at the destination. */
function mountSource(t: Transfer): RepositoryLocation | undefined {
  const from = t.source.location;
  const to = t.target.location;
  return from !== undefined && to !== undefined &&
      from.baseUrl === to.baseUrl && from.repository !== to.repository
    ? from
    : undefined;
}

/**
 * Makes sure the destination has these blobs: each one it lacks streams
 * from the source (verified), `concurrency` at a time; within one
 * registry, it is mounted. Nothing moves when source and destination are
 * the same store.
 */
export async function ensureBlobs(
  t: Transfer,
  blobs: readonly Descriptor[],
): Promise<void> {
  if (t.source === t.target || blobs.length === 0) return;
  const mountFrom = mountSource(t);
  const distinct = [...new Map(blobs.map((b) => [b.digest, b])).values()];
  await runPool(
    distinct,
    (d, s) =>
      t.target.push(d, () => t.source.fetch(d, { signal: s }), {
        signal: s,
        ...(mountFrom ? { mountFrom } : {}),
      }),
    { concurrency: t.concurrency, signal: t.signal },
  );
}

/**
 * Copies a manifest and everything under it to the destination, untagged
 * and unlisted (an index entry left as it was). A registry that has the
 * manifest is taken to have what is under it.
 */
export async function copyTree(t: Transfer, root: ManifestData): Promise<void> {
  if (t.source === t.target) return;
  const signal = t.signal ?? new AbortController().signal;
  if (
    t.target.kind === "registry" &&
    await t.target.exists(root.descriptor, { signal })
  ) return;
  const attempted = `copy ${root.descriptor.digest} of "${t.source.name}"`;
  const budget = new WalkBudget(DEFAULT_WALK_LIMITS, attempted);
  budget.manifest(root.bytes.byteLength);
  const graph = await walkGraph(t.source, root, {
    referrers: false,
    concurrency: t.concurrency,
    signal,
    budget,
    fail: (problem) => storeProblem(t.source, attempted, problem),
  });
  await ensureBlobs(t, graph.blobs);
  for (const m of graph.manifests) {
    const data = m.data as ManifestData;
    await t.target.push(data.descriptor, data.bytes, { signal });
  }
}

/** One image being changed: its manifest and config, as read and as edited. */
export interface ImageDraft {
  /** The manifest as read from the source. */
  source: ManifestData;
  /** The manifest, a copy to edit. */
  manifest: ImageManifest;
  /** The config, a copy to edit. */
  config: ImageConfig;
  /** The config's descriptor at the source. */
  configDescriptor: Descriptor;
}

/** Changes one image's draft in place. */
export type EditImage = (
  draft: ImageDraft,
  signal: AbortSignal,
) => Promise<void> | void;

/** Changes the new index in place (its entries are already set). */
export type EditIndex = (index: ImageIndex) => void;

/** How {@linkcode rewrite} treats an index when no platform is asked for. */
export type IndexDefault = "all" | "ask";

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** The manifest a reference names, schema 1 refused. */
export async function fetchRoot(
  source: ReadOnlyImageStore,
  reference: string | undefined,
  signal?: AbortSignal,
): Promise<ManifestData> {
  const root = await source.fetchManifest(reference, { signal });
  if (isSchema1Manifest(root.manifest)) {
    throw storeProblem(
      source,
      `read "${source.name}"`,
      "Docker schema 1 manifests are not supported",
    );
  }
  return root;
}

/** The platforms an index lists, attestations left out. */
export function indexPlatforms(index: ImageIndex): string[] {
  return index.manifests
    .filter((d) => d.platform && !isAttestation(d))
    .map((d) => formatPlatform(d.platform!));
}

/**
 * Writes an edited image: its config when it changed (else the source's is
 * copied), the base layers the destination lacks, and the manifest when it
 * changed (else the source's is copied as it was).
 */
async function writeImage(
  t: Transfer,
  data: ManifestData,
  edit: EditImage,
  options: { tag?: string; listed: boolean; signal: AbortSignal },
): Promise<{ built: BuiltImage; config: ImageConfig; changed: boolean }> {
  const { signal } = options;
  const manifest = data.manifest as ImageManifest;
  const configDescriptor = manifest.config;
  const read = await readImageConfig(t.source, configDescriptor, signal);
  const draft: ImageDraft = {
    source: data,
    manifest: clone(manifest),
    config: clone(read.config),
    configDescriptor,
  };
  await edit(draft, signal);
  const configChanged =
    JSON.stringify(draft.config) !== JSON.stringify(read.config);
  const base = new Set(manifest.layers.map((l) => l.digest));
  await ensureBlobs(t, draft.manifest.layers.filter((l) => base.has(l.digest)));
  let config = configDescriptor;
  if (configChanged) {
    config = await pushJson(
      t.target,
      configDescriptor.mediaType,
      draft.config,
      {
        signal,
      },
    );
    // Embedded `data` would be the old config's bytes.
    const { data: _old, ...kept } = draft.manifest.config;
    draft.manifest.config = { ...kept, ...config };
  } else {
    await ensureBlobs(t, [configDescriptor]);
  }
  const manifestChanged =
    JSON.stringify(draft.manifest) !== JSON.stringify(manifest);
  let descriptor: Descriptor;
  if (manifestChanged) {
    descriptor = await pushJson(
      t.target,
      data.descriptor.mediaType,
      draft.manifest,
      {
        signal,
        listed: options.listed,
        ...(options.tag !== undefined ? { tag: options.tag } : {}),
      },
    );
  } else {
    descriptor = {
      mediaType: data.descriptor.mediaType,
      digest: data.descriptor.digest,
      size: data.descriptor.size,
    };
    await t.target.push(descriptor, data.bytes, {
      signal,
      listed: options.listed,
      ...(options.tag !== undefined ? { tag: options.tag } : {}),
    });
  }
  return {
    built: {
      descriptor,
      config,
      platform: formatPlatform(platformOfConfig(draft.config)),
    },
    config: draft.config,
    changed: manifestChanged,
  };
}

/** Options of {@linkcode rewrite}. */
export interface RewriteOptions extends BuildOptions {
  /** What an index without a platform asked for means. */
  indexDefault: IndexDefault;
  /** What the operation is, for messages: `append to`, `mutate`. */
  verb: string;
  /**
   * Called before anything is written, with what will be rewritten: one
   * image, or every platform of an index; throws to refuse.
   */
  check?: (kind: "image" | "index") => void;
}

/**
 * Reads the image at the source, changes it (or each platform's image of
 * an index) with `edit`, and writes the result at the destination under
 * the tag: changed configs and manifests are new, every other byte is the
 * source's, copied only where the destination lacks it.
 *
 * In an index, entries that are not images (nested indexes, artifacts) are
 * kept; attestations of an image that changed are dropped, since they
 * describe a manifest that is no longer listed.
 */
export async function rewrite(
  source: ReadOnlyImageStore,
  target: ImageStore,
  options: RewriteOptions,
  edit: EditImage,
  editIndex?: EditIndex,
): Promise<BuildResult> {
  const signal = options.signal ?? new AbortController().signal;
  signal.throwIfAborted();
  const t: Transfer = {
    source,
    target,
    concurrency: concurrencyOf(options.concurrency),
    signal,
  };
  const tag = targetTag(target, options.tag);
  let root = await fetchRoot(source, options.reference, signal);
  const want = options.platform === undefined || options.platform === "all"
    ? undefined
    : typeof options.platform === "string"
    ? parsePlatform(options.platform)
    : options.platform;

  if (isImageIndex(root.manifest)) {
    if (want) {
      const entry = selectPlatform(root.manifest, want);
      if (!entry) {
        const have = indexPlatforms(root.manifest);
        throw storeProblem(
          source,
          `select platform ${formatPlatform(want)} from "${source.name}"`,
          `the index has ${have.length ? have.join(", ") : "no platforms"}`,
        );
      }
      root = await source.fetchManifest(entry, { signal });
    } else if (
      options.platform === undefined && options.indexDefault === "ask"
    ) {
      const have = indexPlatforms(root.manifest);
      throw new TypeError(
        `Cannot ${options.verb} "${source.name}": it is an index of ${have.length} platform${
          have.length === 1 ? "" : "s"
        } (${have.join(", ")}); choose one, or "all"`,
      );
    } else {
      options.check?.("index");
      return await rewriteIndex(t, root, tag, edit, editIndex);
    }
  }
  const image = root.manifest;
  if (
    !isImageManifest(image) || !IMAGE_CONFIG_TYPES.has(image.config.mediaType)
  ) {
    throw storeProblem(
      source,
      `${options.verb} "${source.name}"`,
      `${root.descriptor.digest} is not an image (its config is ${
        isImageManifest(image) ? image.config.mediaType : "missing"
      })`,
    );
  }
  options.check?.("image");
  const { built } = await writeImage(t, root, edit, {
    tag,
    listed: tag === undefined,
    signal,
  });
  return {
    descriptor: built.descriptor,
    ...(tag !== undefined ? { tag } : {}),
    destination: destinationName(target, tag),
    images: [built],
  };
}

/** {@linkcode rewrite} of every platform's image of an index. */
async function rewriteIndex(
  t: Transfer,
  root: ManifestData,
  tag: string | undefined,
  edit: EditImage,
  editIndex: EditIndex | undefined,
): Promise<BuildResult> {
  const signal = t.signal!;
  const index = root.manifest as ImageIndex;
  const replaced = new Set<string>();
  const images: BuiltImage[] = [];
  const entries: (Descriptor | undefined)[] = [];
  const kept: ManifestData[] = [];
  for (const entry of index.manifests) {
    if (isAttestation(entry) || !isImageManifestType(entry.mediaType)) {
      entries.push(entry);
      continue;
    }
    const data = await t.source.fetchManifest(entry, { signal });
    const m = data.manifest;
    if (!isImageManifest(m) || !IMAGE_CONFIG_TYPES.has(m.config.mediaType)) {
      entries.push(entry);
      kept.push(data);
      continue;
    }
    const { built, config, changed } = await writeImage(t, data, edit, {
      listed: false,
      signal,
    });
    const next: Descriptor = {
      ...clone(entry),
      mediaType: built.descriptor.mediaType,
      digest: built.descriptor.digest,
      size: built.descriptor.size,
    };
    if (changed) {
      replaced.add(entry.digest);
      next.platform = platformOfConfig(config);
    }
    images.push({ ...built, descriptor: next });
    entries.push(next);
  }
  // Attestations of a replaced image describe a manifest no longer listed.
  const manifests: Descriptor[] = [];
  for (const entry of entries) {
    if (!entry) continue;
    const about = entry.annotations?.["vnd.docker.reference.digest"];
    if (isAttestation(entry) && about !== undefined && replaced.has(about)) {
      continue;
    }
    if (isAttestation(entry) || !images.some((i) => i.descriptor === entry)) {
      const data = kept.find((k) => k.descriptor.digest === entry.digest) ??
        await t.source.fetchManifest(entry, { signal });
      await copyTree(t, data);
    }
    manifests.push(entry);
  }
  const next = clone(index);
  next.manifests = manifests;
  editIndex?.(next);
  const changed = JSON.stringify(next) !== JSON.stringify(index);
  const descriptor: Descriptor = changed
    ? await pushJson(t.target, root.descriptor.mediaType, next, {
      signal,
      listed: tag === undefined,
      ...(tag !== undefined ? { tag } : {}),
    })
    : {
      mediaType: root.descriptor.mediaType,
      digest: root.descriptor.digest,
      size: root.descriptor.size,
    };
  if (!changed) {
    await t.target.push(descriptor, root.bytes, {
      signal,
      listed: tag === undefined,
      ...(tag !== undefined ? { tag } : {}),
    });
  }
  return {
    descriptor,
    ...(tag !== undefined ? { tag } : {}),
    destination: destinationName(t.target, tag),
    images,
  };
}
