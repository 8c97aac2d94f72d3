// Private: what the transfer engine needs of a source (a registry
// repository or an OCI layout) and of a destination. pull = registry →
// layout, push = layout → registry, copy = registry → registry.

import type { LazyStreamFactory } from "../content/_byte_reader.ts";
import type { Descriptor, Manifest } from "../ref/media_types.ts";

/** A manifest with its exact bytes, as read (and verified) from a source. */
export interface ManifestData {
  /** Its descriptor: media type, digest, size (and platform, from an index). */
  descriptor: Descriptor;
  /** The exact bytes (their digest is the descriptor's). */
  bytes: Uint8Array;
  /** The parsed manifest. */
  manifest: Manifest;
}

/** Where an image comes from. */
export interface ImageSource {
  /** For messages: `127.0.0.1:5000/foo:1`, `./dir:v1`. */
  readonly name: string;
  /** The registry and repository, for cross-repository mounts. */
  readonly registry?: { baseUrl: string; repo: string };
  /** The manifest the reference names. */
  root(signal: AbortSignal): Promise<ManifestData>;
  /** A manifest by descriptor, verified against its digest. */
  manifest(descriptor: Descriptor, signal: AbortSignal): Promise<ManifestData>;
  /** A blob's content, verified against its digest and size while it streams. */
  blob(
    descriptor: Descriptor,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>>;
  /** The manifests whose `subject` is this digest. */
  referrers(digest: string, signal: AbortSignal): Promise<Descriptor[]>;
  /** An error for a problem with the source. */
  error(attempted: string, problem: string): Error;
}

/** How a manifest is being written. */
export interface PutManifestRole {
  /** The tag, for the root manifest. */
  tag?: string;
  /** Whether this is the root. */
  root: boolean;
  /** Whether it is a referrer (has `subject`). */
  referrer: boolean;
}

/** Where an image goes. */
export interface ImageTarget {
  /** For messages and the result: a reference, or `DIR:TAG`. */
  readonly name: string;
  /** The tag the root is written under, if any. */
  readonly tag?: string;
  /** The digest the root must have, when the destination names one. */
  readonly digest?: string;
  /** The registry and repository, for cross-repository mounts. */
  readonly registry?: { baseUrl: string; repo: string };
  /** How the destination wants a blob's content streamed (see `writeBlob`). */
  readonly contentStream: LazyStreamFactory;
  /**
   * Whether the destination holds this manifest (and so everything under
   * it): `undefined` when the destination cannot tell cheaply.
   */
  hasManifest?(descriptor: Descriptor, signal: AbortSignal): Promise<boolean>;
  /**
   * Writes a blob from `content`, a lazy stream made by `contentStream`: it
   * opens the source only when first read. Reports whether the blob was copied, mounted from
   * `mountFrom` or already there (then `content` is left unread).
   */
  writeBlob(
    descriptor: Descriptor,
    content: ReadableStream<Uint8Array>,
    mountFrom: string | undefined,
    signal: AbortSignal,
  ): Promise<"copied" | "mounted" | "exists">;
  /** Writes a manifest (exact bytes). */
  putManifest(
    data: ManifestData,
    role: PutManifestRole,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Parses manifest bytes; `fail` builds the error for bytes that are not a JSON object. */
export function parseManifestBytes(
  bytes: Uint8Array,
  fail: (problem: string) => Error,
): Manifest {
  let manifest: unknown;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw fail("the manifest is not valid JSON");
  }
  if (typeof manifest !== "object" || manifest === null) {
    throw fail("the manifest is not a JSON object");
  }
  return manifest as Manifest;
}

/** The descriptor to record for a manifest: no annotations, nothing undefined. */
export function manifestDescriptor(
  mediaType: string,
  digest: string,
  size: number,
  from?: Descriptor,
): Descriptor {
  const d: Descriptor = { mediaType, digest, size };
  if (from?.platform) d.platform = from.platform;
  if (from?.artifactType) d.artifactType = from.artifactType;
  return d;
}
