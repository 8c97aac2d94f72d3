/**
 * An {@linkcode ImageStore} in memory: for tests, and for building images
 * before they go anywhere.
 *
 * @example Build in memory, then copy to a registry
 * ```ts
 * import { copy, MemoryStore, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const mem = new MemoryStore();
 * // ... push blobs and a manifest tagged "1" ...
 * await copy(mem, new RegistryStore("http://127.0.0.1:5000/app:1"), { reference: "1" });
 * ```
 *
 * @module
 */

import {
  ContentNotFoundError,
  SizeMismatchError,
  StoreError,
} from "../errors.ts";
import type { Descriptor } from "../ref/media_types.ts";
import {
  bytesOf,
  collectBounded,
  isManifestMediaType,
  manifestDescriptor,
  manifestEntry,
  manifestMediaType,
  parseManifestBytes,
  referrerDescriptor,
} from "./_manifest.ts";
import { digestOf } from "../ref/digest.ts";
import type {
  BlobPushOptions,
  ImageStore,
  ManifestData,
  PushAction,
  PushContent,
  ReferrersQuery,
  StoreCallOptions,
  StorePushOptions,
} from "./store.ts";
import { ContentVerifier, isVerified, verifyingStream } from "./verify.ts";

/**
 * Content and tags held in memory. Everything pushed is verified against its
 * descriptor; everything fetched is a verified stream.
 *
 * @example
 * ```ts
 * import { digestOf, MEDIA_TYPE, MemoryStore } from "jsr:@scope/docker-registry-client";
 *
 * const store = new MemoryStore();
 * const bytes = new TextEncoder().encode("{}");
 * await store.push({ mediaType: MEDIA_TYPE.OCI_EMPTY, digest: digestOf(bytes), size: 2 }, bytes);
 * console.log(store.size); // 1
 * ```
 */
export class MemoryStore implements ImageStore {
  /** Always `"memory"`. */
  readonly kind = "memory" as const;
  /** For messages. */
  readonly name: string;
  /** The tag or digest calls use when they name none. */
  readonly reference?: string;
  readonly #blobs = new Map<string, Uint8Array>();
  readonly #tags = new Map<string, Descriptor>();
  /** Manifests listed without a tag (referrers, untagged roots), by digest. */
  readonly #listed = new Map<string, Descriptor>();

  /**
   * Creates an empty store.
   *
   * @param options A name for messages, the default reference.
   */
  constructor(options: { name?: string; reference?: string } = {}) {
    this.name = options.name ?? "memory";
    if (options.reference !== undefined) this.reference = options.reference;
  }

  /** How many blobs and manifests the store holds. */
  get size(): number {
    return this.#blobs.size;
  }

  #missing(attempted: string, problem = "not found"): ContentNotFoundError {
    return new ContentNotFoundError(attempted, this.name, problem);
  }

  /**
   * Finds the manifest a tag or digest names; without one, the store's
   * reference, else its only tagged (or listed) manifest.
   *
   * @param reference A tag or digest.
   * @param _options Unused (cancellation).
   * @returns The manifest's descriptor.
   * @throws {ContentNotFoundError} When there is none.
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * await new MemoryStore().resolve("1").catch((e) => console.log(e.message));
   * ```
   */
  resolve(
    reference?: string,
    _options?: StoreCallOptions,
  ): Promise<Descriptor> {
    const ref = reference ?? this.reference;
    const attempted = `find ${
      ref === undefined ? "the image" : `"${ref}"`
    } in ${this.name}`;
    if (ref === undefined) {
      const all = [...this.#tags.values(), ...this.#listed.values()];
      const digests = new Set(all.map((d) => d.digest));
      if (digests.size === 1) return Promise.resolve(all[0]);
      return Promise.reject(
        digests.size === 0
          ? this.#missing(attempted, "it is empty")
          : new StoreError(
            attempted,
            `it holds ${digests.size} images: name one`,
            this.name,
          ),
      );
    }
    if (ref.includes(":")) {
      const listed = [...this.#tags.values(), ...this.#listed.values()]
        .find((d) => d.digest === ref);
      if (listed) return Promise.resolve(listed);
      const bytes = this.#blobs.get(ref);
      if (!bytes) return Promise.reject(this.#missing(attempted));
      const manifest = parseManifestBytes(
        bytes,
        (p) => new StoreError(attempted, p, this.name),
      );
      return Promise.resolve(
        manifestDescriptor(manifestMediaType(manifest), ref, bytes.byteLength),
      );
    }
    const found = this.#tags.get(ref);
    return found
      ? Promise.resolve(found)
      : Promise.reject(this.#missing(attempted, "no such tag"));
  }

  /**
   * Reads a manifest whole: by tag, digest or descriptor.
   *
   * @param target A tag, digest or descriptor; by default the store's reference.
   * @param options Cancellation.
   * @returns The descriptor, bytes and parsed manifest.
   * @throws {ContentNotFoundError} When it is not there.
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * const store = new MemoryStore();
   * await store.fetchManifest("1").catch((e) => console.log(e.name));
   * ```
   */
  async fetchManifest(
    target?: string | Descriptor,
    options: StoreCallOptions = {},
  ): Promise<ManifestData> {
    options.signal?.throwIfAborted();
    const descriptor = typeof target === "object"
      ? target
      : await this.resolve(target);
    const bytes = this.#blobs.get(descriptor.digest);
    const attempted = `read manifest ${descriptor.digest} of ${this.name}`;
    if (!bytes) throw this.#missing(attempted);
    if (descriptor.size >= 0 && descriptor.size !== bytes.byteLength) {
      throw new SizeMismatchError(attempted, descriptor.size, bytes.byteLength);
    }
    const manifest = parseManifestBytes(
      bytes,
      (p) => new StoreError(attempted, p, this.name),
    );
    return {
      descriptor: manifestDescriptor(
        manifestMediaType(manifest, descriptor.mediaType || undefined),
        descriptor.digest,
        bytes.byteLength,
        descriptor,
      ),
      bytes: bytes.slice(),
      manifest,
    };
  }

  /**
   * Reads content as a stream verified against the descriptor.
   *
   * @param descriptor What to read.
   * @param options Cancellation.
   * @returns The verified stream.
   * @throws {ContentNotFoundError} When it is not there.
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * const store = new MemoryStore();
   * await store.fetch({ mediaType: "x", digest: "sha256:" + "0".repeat(64), size: 0 })
   *   .catch((e) => console.log(e.name)); // ContentNotFoundError
   * ```
   */
  fetch(
    descriptor: Descriptor,
    options: StoreCallOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    options.signal?.throwIfAborted();
    const bytes = this.#blobs.get(descriptor.digest);
    if (!bytes) {
      return Promise.reject(
        this.#missing(`read ${descriptor.digest} of ${this.name}`),
      );
    }
    const stream = verifyingStream(
      new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(),
      {
        digest: descriptor.digest,
        size: descriptor.size,
        attempted: `read ${descriptor.digest} of ${this.name}`,
      },
    );
    return Promise.resolve(stream);
  }

  /**
   * Whether the store holds the content.
   *
   * @param descriptor What to look for.
   * @param _options Unused.
   * @returns `true` when it is there (with its size).
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * console.log(await new MemoryStore().exists({ mediaType: "x", digest: "sha256:" + "0".repeat(64), size: 0 }));
   * ```
   */
  exists(
    descriptor: Descriptor,
    _options?: StoreCallOptions,
  ): Promise<boolean> {
    const bytes = this.#blobs.get(descriptor.digest);
    return Promise.resolve(
      bytes !== undefined &&
        (descriptor.size < 0 || bytes.byteLength === descriptor.size),
    );
  }

  /**
   * The manifests held whose `subject` is `digest`.
   *
   * @param digest The subject's digest.
   * @param options An artifact type filter.
   * @returns Their descriptors.
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * console.log(await new MemoryStore().referrers("sha256:" + "0".repeat(64))); // []
   * ```
   */
  referrers(
    digest: string,
    options: ReferrersQuery = {},
  ): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (const [d, bytes] of this.#blobs) {
      if (bytes.byteLength > 4 * 1024 * 1024 || bytes[0] !== 0x7b) continue;
      let manifest;
      try {
        manifest = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        continue;
      }
      if (typeof manifest !== "object" || manifest === null) continue;
      const mediaType = manifestMediaType(manifest);
      if (!isManifestMediaType(mediaType)) continue;
      const r = referrerDescriptor(
        { mediaType, digest: d, size: bytes.byteLength },
        manifest,
      );
      if (r?.subject !== digest) continue;
      if (
        options.artifactType !== undefined &&
        r.descriptor.artifactType !== options.artifactType
      ) continue;
      out.push(r.descriptor);
    }
    return Promise.resolve(out);
  }

  /**
   * The store's tags.
   *
   * @param _options Unused.
   * @returns The tags, in the order they were set.
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * console.log(await new MemoryStore().listTags()); // []
   * ```
   */
  listTags(_options?: StoreCallOptions): Promise<string[]> {
    return Promise.resolve([...this.#tags.keys()]);
  }

  /**
   * Keeps content, verified against its descriptor.
   *
   * @param descriptor What the content is.
   * @param content The bytes, a stream, or a function that opens one.
   * @param options A tag (manifests), listing, progress, cancellation.
   * @returns `"copied"`, or `"exists"` when it was already held.
   * @throws {DigestMismatchError} When the content does not match.
   *
   * @example
   * ```ts
   * import { digestOf, MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * const bytes = new TextEncoder().encode("hi");
   * await new MemoryStore().push({ mediaType: "text/plain", digest: digestOf(bytes), size: 2 }, bytes);
   * ```
   */
  async push(
    descriptor: Descriptor,
    content: PushContent,
    options: StorePushOptions = {},
  ): Promise<PushAction> {
    options.signal?.throwIfAborted();
    const attempted = `push ${descriptor.digest} to ${this.name}`;
    let existed = false;
    let bytes = this.#blobs.get(descriptor.digest);
    if (bytes && bytes.byteLength === descriptor.size) {
      existed = true;
      if (content instanceof ReadableStream) await content.cancel();
    } else {
      const expected = { ...descriptor, attempted };
      if (
        content instanceof Uint8Array ||
        isManifestMediaType(descriptor.mediaType)
      ) {
        bytes = (await bytesOf(content, descriptor, this.name)).slice();
        const v = new ContentVerifier(expected);
        v.update(bytes);
        v.finish();
        options.onBytes?.(bytes.byteLength);
      } else {
        let stream = typeof content === "function" ? await content() : content;
        if (!isVerified(stream, descriptor.digest)) {
          stream = verifyingStream(stream, expected);
        }
        bytes = await collectAll(stream, options.onBytes);
      }
      this.#blobs.set(descriptor.digest, bytes);
    }
    if (isManifestMediaType(descriptor.mediaType)) {
      const { entry } = manifestEntry(
        bytes,
        descriptor,
        (p) => new StoreError(attempted, p, this.name),
      );
      if (options.tag !== undefined) this.#tags.set(options.tag, entry);
      else if (options.listed) this.#listed.set(entry.digest, entry);
    }
    return existed ? "exists" : "copied";
  }

  /**
   * Keeps a blob whose digest is computed as it is read.
   *
   * @param content The blob.
   * @param options Its media type, progress, cancellation.
   * @returns Its descriptor.
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * const d = await new MemoryStore().pushBlob(new Blob(["data"]).stream(), { mediaType: "text/plain" });
   * console.log(d.digest, d.size);
   * ```
   */
  async pushBlob(
    content: ReadableStream<Uint8Array>,
    options: BlobPushOptions,
  ): Promise<Descriptor> {
    options.signal?.throwIfAborted();
    const bytes = await collectAll(content, options.onBytes);
    const digest = digestOf(bytes);
    if (!this.#blobs.has(digest)) this.#blobs.set(digest, bytes);
    return { mediaType: options.mediaType, digest, size: bytes.byteLength };
  }

  /**
   * Points a tag at a manifest the store holds.
   *
   * @param descriptor The manifest.
   * @param tag The tag.
   * @param _options Unused.
   * @throws {ContentNotFoundError} When the manifest is not held.
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * const store = new MemoryStore();
   * await store.tag(await store.resolve("1"), "latest").catch(() => {});
   * ```
   */
  tag(
    descriptor: Descriptor,
    tag: string,
    _options?: StoreCallOptions,
  ): Promise<void> {
    if (!this.#blobs.has(descriptor.digest)) {
      return Promise.reject(
        this.#missing(`tag ${descriptor.digest} as "${tag}" in ${this.name}`),
      );
    }
    this.#tags.set(tag, descriptor);
    return Promise.resolve();
  }

  /**
   * Removes a tag (a string) or content (a descriptor, with its tags).
   *
   * @param target The tag, or what to delete.
   * @param _options Unused.
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * await new MemoryStore().delete("old");
   * ```
   */
  delete(
    target: string | Descriptor,
    _options?: StoreCallOptions,
  ): Promise<void> {
    if (typeof target === "string") this.#tags.delete(target);
    else {
      this.#blobs.delete(target.digest);
      this.#listed.delete(target.digest);
      for (const [tag, d] of this.#tags) {
        if (d.digest === target.digest) this.#tags.delete(tag);
      }
    }
    return Promise.resolve();
  }

  /**
   * Nothing to finish.
   *
   * @returns Nothing.
   *
   * @example
   * ```ts
   * import { MemoryStore } from "jsr:@scope/docker-registry-client";
   *
   * await new MemoryStore().close();
   * ```
   */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * The same as {@linkcode MemoryStore.close}: every write is already complete.
   *
   * @returns Nothing.
   */
  discard(): Promise<void> {
    return this.close();
  }
}

/** Reads a stream whole (memory holds what it is given), reporting progress. */
function collectAll(
  stream: ReadableStream<Uint8Array>,
  onBytes?: (bytes: number) => void,
): Promise<Uint8Array> {
  return collectBounded(
    stream,
    Number.MAX_SAFE_INTEGER,
    () => new RangeError("unreachable"),
    onBytes,
  );
}
