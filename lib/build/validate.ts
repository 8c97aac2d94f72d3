/**
 * Checking an image is whole: {@linkcode validate} walks an image or index
 * (every manifest, config and layer; referrers on request), reads each one
 * fully through the store's verified fetch, and reports every problem — a
 * blob or manifest missing, of another digest, of another size, or a config
 * that does not list one diff ID per layer — with the descriptor at fault
 * and the manifest that lists it.
 *
 * @example
 * ```ts
 * import { OciLayout, validate } from "jsr:@scope/docker-registry-client";
 *
 * const report = await validate(await OciLayout.open("./app-oci"), { reference: "1" });
 * for (const p of report.problems) console.log(p.kind, p.descriptor.digest, p.message);
 * console.log(report.ok ? "whole" : "broken");
 * ```
 *
 * @module
 */

import {
  DigestMismatchError,
  isNotFound,
  SizeMismatchError,
} from "../errors.ts";
import type { ReadOnlyImageStore } from "../content/store.ts";
import { runPool } from "../content/_pool.ts";
import {
  type Descriptor,
  isImageIndex,
  isImageManifest,
  isSchema1Manifest,
  type Manifest,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import { concurrencyOf, readImageConfig } from "./_image.ts";

/** What is wrong with a piece of content. */
export type ValidationProblemKind =
  | "missing"
  | "digest-mismatch"
  | "size-mismatch"
  | "invalid"
  | "unreadable";

/** One problem {@linkcode validate} found. */
export interface ValidationProblem {
  /**
   * `missing` (the store does not have it), `digest-mismatch` (its bytes
   * hash to another digest), `size-mismatch` (another size than the
   * descriptor says), `invalid` (a manifest or config that does not parse
   * or does not match its manifest), `unreadable` (another error).
   */
  kind: ValidationProblemKind;
  /** The content at fault, as its parent lists it. */
  descriptor: Descriptor;
  /** `manifest`, `index`, `config`, `layer` or `blob`. */
  role: string;
  /** The digest of the manifest that lists it (none for the root). */
  parent?: string;
  /** What came back, in words. */
  message: string;
  /** The digest or size expected, for mismatches. */
  expected?: string | number;
  /** The digest or size found, for mismatches. */
  actual?: string | number;
}

/** What {@linkcode validate} found. */
export interface ValidationReport {
  /** The manifest checked (the image or index). */
  descriptor: Descriptor;
  /** Whether no problem was found. */
  ok: boolean;
  /** Manifests checked (indexes, images, referrers). */
  manifests: number;
  /** Distinct blobs checked (configs and layers). */
  blobs: number;
  /** Bytes read and verified. */
  bytes: number;
  /** Every problem, in the order found. */
  problems: ValidationProblem[];
}

/** Options of {@linkcode validate}. */
export interface ValidateOptions {
  /** The tag or digest; by default the store's reference. */
  reference?: string;
  /**
   * Also check the referrers (signatures, SBOMs) of every manifest met.
   * @default {false}
   */
  referrers?: boolean;
  /**
   * How many blobs are read at once.
   * @default {4}
   */
  concurrency?: number;
  /** Cancels the check. */
  signal?: AbortSignal;
}

const IMAGE_CONFIGS = new Set<string>([
  MEDIA_TYPE.OCI_CONFIG,
  MEDIA_TYPE.DOCKER_CONFIG,
]);

function describe(d: Descriptor, role: string): string {
  return `${role} ${d.digest} (${d.mediaType}, ${d.size} bytes)`;
}

/** The problem an error reading content stands for. */
function problemOf(
  err: unknown,
  descriptor: Descriptor,
  role: string,
  parent: string | undefined,
): ValidationProblem {
  const base = {
    descriptor,
    role,
    ...(parent !== undefined ? { parent } : {}),
  };
  const what = describe(descriptor, role);
  if (isNotFound(err)) {
    return { ...base, kind: "missing", message: `${what} is missing` };
  }
  if (err instanceof DigestMismatchError) {
    return {
      ...base,
      kind: "digest-mismatch",
      message: `${what} has digest ${err.actual}`,
      expected: err.expected,
      actual: err.actual,
    };
  }
  if (err instanceof SizeMismatchError) {
    return {
      ...base,
      kind: "size-mismatch",
      message: `${what} has ${err.actual} bytes${
        err.actual > err.expected ? " or more" : ""
      }`,
      expected: err.expected,
      actual: err.actual,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { ...base, kind: "unreadable", message: `${what}: ${message}` };
}

/** Reads a stream to its end; returns the number of bytes. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return n;
      n += value.byteLength;
    }
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  }
}

/** Layers that registries do not hold (Windows base layers). */
function isNonDistributable(d: Descriptor): boolean {
  return /foreign|nondistributable/.test(d.mediaType) ||
    (Array.isArray(d.urls) && d.urls.length > 0);
}

interface BlobCheck {
  descriptor: Descriptor;
  role: string;
  parent: string;
  /** For a config: the number of layers its manifest lists. */
  layers?: number;
}

/**
 * Checks that an image or index is whole: every manifest, config and layer
 * it references (and, on request, every referrer) is in the store and reads
 * back with its descriptor's digest and size. Each is read fully through
 * the store's verified fetch; a config must also list one diff ID per
 * layer. Problems are reported, not thrown.
 *
 * @param store Where the image is.
 * @param options Which image, referrers, concurrency, cancellation.
 * @returns The report: `ok`, counts, and every problem with its descriptor.
 * @throws {NotFoundError} (registry) or {StoreError} (others) when the
 * reference itself names nothing.
 *
 * @example Fail a pipeline on a broken image
 * ```ts
 * import { RegistryStore, validate } from "jsr:@scope/docker-registry-client";
 *
 * const report = await validate(new RegistryStore("http://127.0.0.1:5000/app:1"));
 * if (!report.ok) throw new Error(report.problems.map((p) => p.message).join("\n"));
 * ```
 */
export async function validate(
  store: ReadOnlyImageStore,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const concurrency = concurrencyOf(options.concurrency);
  const root = await store.resolve(options.reference, { signal });
  const problems: ValidationProblem[] = [];
  const seenManifests = new Set<string>();
  const blobs = new Map<string, BlobCheck>();
  let bytes = 0;

  const visit = async (
    d: Descriptor,
    role: string,
    parent?: string,
  ): Promise<void> => {
    if (seenManifests.has(d.digest)) return;
    seenManifests.add(d.digest);
    let manifest: Manifest;
    try {
      const data = await store.fetchManifest(d, { signal });
      bytes += data.bytes.byteLength;
      manifest = data.manifest;
      if (d.size !== data.bytes.byteLength) {
        throw new SizeMismatchError(
          `read ${role} ${d.digest}`,
          d.size,
          data.bytes.byteLength,
        );
      }
    } catch (err) {
      signal?.throwIfAborted();
      problems.push(problemOf(err, d, role, parent));
      return;
    }
    if (isImageIndex(manifest)) {
      for (const child of manifest.manifests ?? []) {
        const childRole = child.mediaType === MEDIA_TYPE.OCI_INDEX ||
            child.mediaType === MEDIA_TYPE.DOCKER_MANIFEST_LIST
          ? "index"
          : "manifest";
        await visit(child, childRole, d.digest);
      }
    } else if (isImageManifest(manifest)) {
      const isImage = IMAGE_CONFIGS.has(manifest.config.mediaType);
      const config: BlobCheck = {
        descriptor: manifest.config,
        role: isImage ? "config" : "blob",
        parent: d.digest,
        ...(isImage ? { layers: manifest.layers.length } : {}),
      };
      if (!blobs.has(manifest.config.digest)) {
        blobs.set(manifest.config.digest, config);
      }
      for (const layer of manifest.layers) {
        if (isNonDistributable(layer) || blobs.has(layer.digest)) continue;
        blobs.set(layer.digest, {
          descriptor: layer,
          role: isImage ? "layer" : "blob",
          parent: d.digest,
        });
      }
    } else if (!isSchema1Manifest(manifest)) {
      problems.push({
        kind: "invalid",
        descriptor: d,
        role,
        ...(parent !== undefined ? { parent } : {}),
        message: `${
          describe(d, role)
        } is neither an index nor an image manifest`,
      });
    }
    if (options.referrers) {
      for (const r of await store.referrers(d.digest, { signal })) {
        await visit(r, "referrer", d.digest);
      }
    }
  };
  await visit(root, isIndexType(root.mediaType) ? "index" : "manifest");

  const checks = [...blobs.values()];
  await runPool(checks, async (check, s) => {
    const { descriptor, role, parent } = check;
    try {
      if (check.layers !== undefined) {
        const { bytes: b, config } = await readImageConfig(
          store,
          descriptor,
          s,
        );
        bytes += b.byteLength;
        const ids = config.rootfs.diff_ids.length;
        if (ids !== check.layers) {
          problems.push({
            kind: "invalid",
            descriptor,
            role,
            parent,
            message: `${
              describe(descriptor, role)
            } lists ${ids} diff IDs for ${check.layers} layers`,
            expected: check.layers,
            actual: ids,
          });
        }
      } else {
        bytes += await drain(await store.fetch(descriptor, { signal: s }));
      }
    } catch (err) {
      s.throwIfAborted();
      const p = problemOf(err, descriptor, role, parent);
      if (p.kind === "unreadable" && check.layers !== undefined) {
        p.kind = "invalid";
      }
      problems.push(p);
    }
  }, { concurrency, ...(signal ? { signal } : {}) });

  return {
    descriptor: root,
    ok: problems.length === 0,
    manifests: seenManifests.size,
    blobs: checks.length,
    bytes,
    problems,
  };
}

function isIndexType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE.OCI_INDEX ||
    mediaType === MEDIA_TYPE.DOCKER_MANIFEST_LIST;
}
