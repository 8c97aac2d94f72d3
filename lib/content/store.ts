/**
 * The one interface every place an image can live implements: a registry
 * repository ({@linkcode RegistryStore}), an OCI image layout
 * ({@linkcode OciLayout}), an OCI archive, a docker archive, and memory
 * ({@linkcode MemoryStore}). Operations (copy, append, mutate, sync, export)
 * take stores, so any pair works.
 *
 * Content is addressed by descriptor (media type, digest, size). What a store
 * hands out is verified against the descriptor while it streams; what it is
 * given is checked before it is kept.
 *
 * @example Copy an image from a registry into memory
 * ```ts
 * import { copy, MemoryStore, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const src = new RegistryStore("http://127.0.0.1:5000/app:1");
 * const dst = new MemoryStore();
 * const result = await copy(src, dst, { tag: "1" });
 * console.log(result.digest, await dst.listTags());
 * ```
 *
 * @module
 */

import type { Descriptor, Manifest } from "../ref/media_types.ts";

/** The kinds of stores this package implements. */
export type StoreKind =
  | "registry"
  | "oci-layout"
  | "oci-archive"
  | "docker-archive"
  | "memory";

/** Options every store call accepts. */
export interface StoreCallOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** A repository of a registry, for cross-repository mounts. */
export interface RepositoryLocation {
  /** The registry's base URL, e.g. `https://ghcr.io`. */
  baseUrl: string;
  /** The repository on it, e.g. `org/app`. */
  repository: string;
}

/** A manifest with its exact bytes, as read (and verified) from a store. */
export interface ManifestData {
  /** Its descriptor: media type, digest, size (and platform, from an index). */
  descriptor: Descriptor;
  /** The exact bytes (their digest is the descriptor's). */
  bytes: Uint8Array;
  /** The parsed manifest. */
  manifest: Manifest;
}

/**
 * Content to push: bytes, a stream, or a function that opens a stream. A
 * function is only called when the store needs the bytes (a registry that
 * already has the blob, or mounts it, never calls it).
 */
export type PushContent =
  | Uint8Array
  | ReadableStream<Uint8Array>
  | (() => Promise<ReadableStream<Uint8Array>>);

/** What a push did with the content. */
export type PushAction = "copied" | "mounted" | "exists";

/** Options of {@linkcode ImageStore.push}. */
export interface StorePushOptions extends StoreCallOptions {
  /** For a manifest: also tag it (a registry puts it under the tag directly). */
  tag?: string;
  /**
   * For a blob: the repository it can be mounted from when the store is a
   * repository of the same registry (`POST ?mount=&from=`).
   */
  mountFrom?: RepositoryLocation;
  /** Called with the number of bytes consumed, as they are. */
  onBytes?: (bytes: number) => void;
  /**
   * For a manifest pushed without a tag: list it as an untagged entry of
   * the store's index, so that it can be found again (layouts and archives
   * only list what is tagged or listed, and list referrers by themselves; a
   * registry keeps every manifest and ignores this).
   * @default {false}
   */
  listed?: boolean;
}

/** Options of {@linkcode ImageStore.pushBlob}. */
export interface BlobPushOptions extends StoreCallOptions {
  /** The blob's media type, for the descriptor returned. */
  mediaType: string;
  /** Called with the number of bytes consumed, as they are. */
  onBytes?: (bytes: number) => void;
}

/** Options of {@linkcode ReadOnlyImageStore.referrers}. */
export interface ReferrersQuery extends StoreCallOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string;
}

/**
 * A store that can be read: resolve a tag, fetch verified content, check
 * existence, list tags and referrers.
 */
export interface ReadOnlyImageStore {
  /** Which kind of store this is. */
  readonly kind: StoreKind;
  /** For messages: `127.0.0.1:5000/app`, `./app-oci`, `oci-archive:app.tar`. */
  readonly name: string;
  /**
   * The tag or digest the store was opened with (`oci:DIR:TAG`, a registry
   * reference's tag), used when a call names none.
   */
  readonly reference?: string;
  /** Where the store is, when it is a registry repository. */
  readonly location?: RepositoryLocation;
  /**
   * Finds the manifest a tag or digest names.
   *
   * @param reference A tag or a digest; by default the store's own reference
   * (a layout holding one image needs none).
   * @param options Cancellation.
   * @returns The manifest's descriptor.
   * @throws {NotFoundError} (registry) or a store error when there is none.
   */
  resolve(reference?: string, options?: StoreCallOptions): Promise<Descriptor>;
  /**
   * Reads a manifest whole, verified and bounded: by tag, by digest, or by
   * descriptor (its platform and artifact type are kept).
   *
   * @param target A tag, a digest or a descriptor; by default the store's own reference.
   * @param options Cancellation.
   * @returns The descriptor, exact bytes and parsed manifest.
   */
  fetchManifest(
    target?: string | Descriptor,
    options?: StoreCallOptions,
  ): Promise<ManifestData>;
  /**
   * Reads content (a blob or a manifest) as a stream verified against the
   * descriptor's digest and size while it streams: a mismatch errors the
   * stream.
   *
   * @param descriptor What to read.
   * @param options Cancellation.
   * @returns The verified stream.
   */
  fetch(
    descriptor: Descriptor,
    options?: StoreCallOptions,
  ): Promise<ReadableStream<Uint8Array>>;
  /**
   * Whether the store holds the content (a manifest or a blob, by its media
   * type).
   *
   * @param descriptor What to look for.
   * @param options Cancellation.
   * @returns `true` when it is there.
   */
  exists(descriptor: Descriptor, options?: StoreCallOptions): Promise<boolean>;
  /**
   * The manifests whose `subject` is `digest` (signatures, SBOMs …).
   *
   * @param digest The subject's digest.
   * @param options An artifact type filter, cancellation.
   * @returns Their descriptors (empty when there are none).
   */
  referrers(digest: string, options?: ReferrersQuery): Promise<Descriptor[]>;
  /**
   * The store's tags.
   *
   * @param options Cancellation.
   * @returns Every tag.
   */
  listTags(options?: StoreCallOptions): Promise<string[]>;
}

/** A store that can also be written: push content, tag, delete. */
export interface ImageStore extends ReadOnlyImageStore {
  /**
   * Writes content: a manifest (by its media type) or a blob. The content is
   * checked against the descriptor before it is kept (a registry checks the
   * digest itself); a store that already holds it keeps what it has.
   *
   * @param descriptor What the content is.
   * @param content The bytes, a stream, or a function that opens one.
   * @param options A tag for a manifest, a mount source for a blob, progress.
   * @returns Whether it was copied, mounted, or already there.
   * @throws {DigestMismatchError} When the content does not match.
   */
  push(
    descriptor: Descriptor,
    content: PushContent,
    options?: StorePushOptions,
  ): Promise<PushAction>;
  /**
   * Writes a blob whose digest is not known in advance (a layer being
   * built): the digest and size are computed while it streams, in the same
   * pass that stores it (a registry gets a streamed upload finished with
   * the computed digest).
   *
   * @param content The blob.
   * @param options Its media type, progress, cancellation.
   * @returns The descriptor of what was written.
   */
  pushBlob(
    content: ReadableStream<Uint8Array>,
    options: BlobPushOptions,
  ): Promise<Descriptor>;
  /**
   * Points a tag at a manifest the store holds (a registry gets one manifest
   * `PUT`; no blob moves).
   *
   * @param descriptor The manifest.
   * @param tag The tag.
   * @param options Cancellation.
   */
  tag(
    descriptor: Descriptor,
    tag: string,
    options?: StoreCallOptions,
  ): Promise<void>;
  /**
   * Deletes a tag (a string), or a manifest or blob (a descriptor).
   *
   * @param target The tag, or what to delete.
   * @param options Cancellation.
   */
  delete(
    target: string | Descriptor,
    options?: StoreCallOptions,
  ): Promise<void>;
  /**
   * Finishes writing: an archive is written (atomically) here, temporary
   * files are removed. Calling it again does nothing.
   */
  close(): Promise<void>;
  /**
   * Gives up what was written and not yet committed (after a failure): an
   * archive is not written (an existing one stays as it was), its staged
   * content is removed. Stores that commit every write at once just close.
   */
  discard(): Promise<void>;
}
