/**
 * OCI archives: an OCI image layout (`oci-layout`, `index.json`,
 * `blobs/sha256/…`) in a tar file, what `skopeo copy … oci-archive:PATH[:TAG]`
 * reads and writes.
 *
 * {@linkcode OciArchive} is an {@linkcode ImageStore}. Opening an archive
 * reads its tar headers only (entry name → offset and size); content is read
 * in place by offset, verified against its digest as it streams. Nothing is
 * extracted.
 *
 * What is written is staged in a hidden OCI layout beside the archive;
 * {@linkcode OciArchive.close} writes the new archive (the old one's blobs,
 * the staged ones, the merged `index.json`) to a temporary file beside it
 * and renames it into place, so no half-written archive is ever found under
 * its name. {@linkcode OciArchive.discard} drops the staged content instead.
 *
 * @example Write an image into an OCI archive
 * ```ts
 * import { copy, OciArchive, OciLayout } from "jsr:@scope/docker-registry-client";
 *
 * const src = await OciLayout.open("./app-oci");
 * const dst = await OciArchive.open("./app.tar", { create: true });
 * try {
 *   await copy(src, dst, { tag: "1" });
 *   await dst.close();
 * } catch (err) {
 *   await dst.discard();
 *   throw err;
 * }
 * ```
 *
 * @module
 */

import {
  bytesOf,
  isManifestMediaType,
  manifestDescriptor,
  manifestMediaType,
  parseManifestBytes,
  referrerDescriptor,
} from "../content/_manifest.ts";
import type {
  BlobPushOptions,
  ImageStore,
  ManifestData,
  PushAction,
  PushContent,
  ReferrersQuery,
  StoreCallOptions,
  StorePushOptions,
} from "../content/store.ts";
import { ContentNotFoundError, StoreError } from "../errors.ts";
import { isDigest, parseDigest } from "../ref/digest.ts";
import type { Descriptor, ImageIndex } from "../ref/media_types.ts";
import {
  emptyIndex,
  findEntry,
  type StoreErrorFactory,
  tagsOf,
  withEntry,
  withoutEntry,
} from "../layout/_index.ts";
import { OCI_IMAGE_LAYOUT_VERSION } from "../layout/oci_layout.ts";
import {
  ArchiveContent,
  readManifest,
  readOciIndex,
  referrersAmong,
} from "./_content.ts";

export * from "./cleanup.ts";

/** Options of {@linkcode OciArchive.open} and `DockerArchive.open`. */
export interface OpenArchiveOptions {
  /**
   * Start a new archive when the file is missing (or empty). Nothing is
   * written before {@linkcode OciArchive.close}, and only when something
   * was pushed, tagged or deleted.
   * @default {false}
   */
  create?: boolean;
  /** The tag or digest calls use when they name none (`oci-archive:PATH:TAG`). */
  reference?: string;
}

/** Options of {@linkcode OciArchive.close}. */
export interface CloseArchiveOptions {
  /** Cancels writing the archive; the file is then left as it was. */
  signal?: AbortSignal;
}

/**
 * An OCI archive, and an {@linkcode ImageStore}. Open one with
 * {@linkcode OciArchive.open}; finish writing with
 * {@linkcode OciArchive.close} (or drop what was written with
 * {@linkcode OciArchive.discard}).
 *
 * Tags live in `index.json` as in an OCI layout: existing tags are kept, a
 * pushed tag replaces one of the same name.
 *
 * @example List an archive's tags
 * ```ts
 * import { OciArchive } from "jsr:@scope/docker-registry-client";
 *
 * const archive = await OciArchive.open("./app.tar");
 * for (const tag of await archive.listTags()) {
 *   console.log(tag, (await archive.resolve(tag)).digest);
 * }
 * await archive.close();
 * ```
 */
export class OciArchive implements ImageStore {
  /** Always `"oci-archive"`. */
  readonly kind = "oci-archive" as const;
  /** The archive's path. */
  readonly path: string;
  /** `oci-archive:PATH`, for messages. */
  readonly name: string;
  /** The tag or digest calls use when they name none. */
  readonly reference?: string;
  #content: ArchiveContent;
  #index: ImageIndex;
  #changed = false;

  private constructor(
    content: ArchiveContent,
    index: ImageIndex,
    reference?: string,
  ) {
    this.#content = content;
    this.#index = index;
    this.path = content.path;
    this.name = `oci-archive:${content.path}`;
    if (reference !== undefined) this.reference = reference;
  }

  /**
   * Opens an OCI archive: its tar headers are indexed, `oci-layout` and
   * `index.json` are read; nothing is extracted.
   *
   * @param path The tar file.
   * @param options Whether to start a new archive; the default reference.
   * @returns The archive.
   * @throws {StoreError} When the file is missing (code `NOT_FOUND`, without
   * `create`), is not a tar, is not an OCI layout (no `oci-layout` or
   * `index.json`, an unknown version), or holds an unsafe entry (an
   * absolute name, a `..`, a link where a blob should be).
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./app.tar", { reference: "1" });
   * console.log((await archive.resolve()).digest);
   * ```
   */
  static async open(
    path: string,
    options: OpenArchiveOptions = {},
  ): Promise<OciArchive> {
    const label = `OCI archive "${path}"`;
    const content = await ArchiveContent.open(path, label, !!options.create);
    if (content.entries.size === 0 && options.create) {
      return new OciArchive(content, emptyIndex(), options.reference);
    }
    const index = await readOciIndex(content, `open ${label}`);
    return new OciArchive(content, index, options.reference);
  }

  get #label(): string {
    return this.#content.label;
  }

  #fail: StoreErrorFactory = (attempted, problem, notFound) =>
    notFound
      ? new ContentNotFoundError(attempted, this.path, problem)
      : new StoreError(attempted, problem, this.path);

  /**
   * The archive's `index.json` as it stands (with what was pushed since it
   * was opened).
   *
   * @returns A copy of the index.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./app.tar");
   * console.log(archive.index().manifests.length);
   * ```
   */
  index(): ImageIndex {
    return structuredClone(this.#index);
  }

  /**
   * The archive's tags, from the `index.json` entries' `ref.name`.
   *
   * @param _options Unused (cancellation).
   * @returns The tags, in `index.json` order.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * console.log(await (await OciArchive.open("./app.tar")).listTags());
   * ```
   */
  listTags(_options?: StoreCallOptions): Promise<string[]> {
    return Promise.resolve(tagsOf(this.#index));
  }

  /**
   * Finds the `index.json` entry of a tag or digest; without one, the
   * archive's reference, else its only entry. A digest that is no entry but
   * whose manifest is in the archive resolves too.
   *
   * @param reference A tag or a digest.
   * @param options Cancellation.
   * @returns The entry's descriptor.
   * @throws {ContentNotFoundError} When there is no such tag or manifest.
   * @throws {StoreError} When none is named and the archive holds several.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./app.tar");
   * console.log((await archive.resolve("1")).digest);
   * ```
   */
  async resolve(
    reference?: string,
    options: StoreCallOptions = {},
  ): Promise<Descriptor> {
    const ref = reference ?? this.reference;
    try {
      return findEntry(this.#index, ref, this.#label, this.#fail);
    } catch (err) {
      if (ref === undefined || !isDigest(ref) || !this.#content.has(ref)) {
        throw err;
      }
      return (await this.fetchManifest(ref, options)).descriptor;
    }
  }

  /**
   * Reads a manifest whole, verified: by tag, by digest or by descriptor.
   *
   * @param target A tag, a digest or a descriptor; by default the archive's reference.
   * @param options Cancellation.
   * @returns The descriptor, exact bytes and parsed manifest.
   * @throws {ContentNotFoundError} When it is not there.
   * @throws {StoreError} When it is not a manifest or is over 16 MiB.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./app.tar");
   * const { descriptor, manifest } = await archive.fetchManifest("1");
   * console.log(descriptor.digest, descriptor.mediaType);
   * ```
   */
  async fetchManifest(
    target?: string | Descriptor,
    options: StoreCallOptions = {},
  ): Promise<ManifestData> {
    const descriptor = typeof target === "object"
      ? target
      : target !== undefined && isDigest(target)
      ? { mediaType: "", digest: parseDigest(target).digest, size: -1 }
      : await this.resolve(target, options);
    return await readManifest(this.#content, descriptor, options.signal);
  }

  /**
   * Reads content as a stream verified against the descriptor's digest and
   * size while it streams (staged content first, then the archive's).
   *
   * @param descriptor What to read.
   * @param options Cancellation.
   * @returns The verified stream.
   * @throws {ContentNotFoundError} When it is not there.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./app.tar");
   * const stream = await archive.fetch(await archive.resolve("1"));
   * console.log(await new Response(stream).text());
   * ```
   */
  fetch(
    descriptor: Descriptor,
    options: StoreCallOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#content.open(
      descriptor.digest,
      descriptor.size,
      options.signal,
    );
  }

  /**
   * Whether the archive holds the content (of the descriptor's size).
   *
   * @param descriptor What to look for.
   * @param _options Unused (cancellation).
   * @returns `true` when it is there.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./app.tar");
   * console.log(await archive.exists(await archive.resolve("1")));
   * ```
   */
  exists(
    descriptor: Descriptor,
    _options?: StoreCallOptions,
  ): Promise<boolean> {
    return Promise.resolve(
      this.#content.has(parseDigest(descriptor.digest).digest, descriptor.size),
    );
  }

  /**
   * The manifests listed in `index.json` whose `subject` is `digest`.
   *
   * @param digest The subject's digest.
   * @param options An artifact type filter, cancellation.
   * @returns Their descriptors.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./app.tar");
   * console.log(await archive.referrers((await archive.resolve("1")).digest));
   * ```
   */
  referrers(
    digest: string,
    options: ReferrersQuery = {},
  ): Promise<Descriptor[]> {
    return referrersAmong(
      this.#index.manifests,
      (d) => this.fetchManifest(d, options),
      digest,
      options.artifactType,
    );
  }

  /**
   * Stages a blob or a manifest (by media type), verified before it is
   * kept. A manifest is listed in `index.json` when it is tagged (`tag`),
   * when it has a `subject` (a referrer, untagged), or when `listed` asks.
   *
   * @param descriptor What the content is.
   * @param content The bytes, a stream, or a function that opens one.
   * @param options A tag, progress, cancellation.
   * @returns `"copied"`, or `"exists"` when the archive had it.
   * @throws {DigestMismatchError} When the content does not match.
   * @throws {StoreError} For a sha512 digest (the name does not fit ustar),
   * or once the archive is closed.
   *
   * @example
   * ```ts
   * import { digestOf, MEDIA_TYPE, OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./out.tar", { create: true });
   * const bytes = new TextEncoder().encode("{}");
   * await archive.push({ mediaType: MEDIA_TYPE.OCI_EMPTY, digest: digestOf(bytes), size: 2 }, bytes);
   * await archive.close();
   * ```
   */
  async push(
    descriptor: Descriptor,
    content: PushContent,
    options: StorePushOptions = {},
  ): Promise<PushAction> {
    const { signal } = options;
    if (!isManifestMediaType(descriptor.mediaType)) {
      const action = await this.#content.stage(descriptor, content, {
        signal,
        onBytes: options.onBytes,
      });
      if (action === "copied") this.#changed = true;
      return action;
    }
    const bytes = await bytesOf(content, descriptor, this.path);
    const action = await this.#content.stage(descriptor, bytes, { signal });
    if (action === "copied") this.#changed = true;
    options.onBytes?.(bytes.byteLength);
    const parsed = parseManifestBytes(
      bytes,
      (problem) =>
        new StoreError(
          `push manifest ${descriptor.digest} to ${this.#label}`,
          problem,
          this.path,
        ),
    );
    const entry = manifestDescriptor(
      manifestMediaType(parsed, descriptor.mediaType),
      descriptor.digest,
      bytes.byteLength,
      descriptor,
    );
    const referrer = referrerDescriptor(entry, parsed);
    if (options.tag !== undefined) this.#setTag(options.tag, entry);
    else if (referrer) this.#setTag(undefined, referrer.descriptor);
    else if (options.listed) this.#setTag(undefined, entry);
    return action;
  }

  /**
   * Stages a blob whose digest is not known in advance (a layer being
   * built): its sha256 digest and size are computed as it is written.
   *
   * @param content The blob.
   * @param options Its media type, progress, cancellation.
   * @returns The blob's descriptor.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./out.tar", { create: true });
   * const d = await archive.pushBlob(new Blob(["data"]).stream(), { mediaType: "text/plain" });
   * console.log(d.digest);
   * await archive.close();
   * ```
   */
  async pushBlob(
    content: ReadableStream<Uint8Array>,
    options: BlobPushOptions,
  ): Promise<Descriptor> {
    const { digest, size } = await this.#content.stageComputed(content, {
      signal: options.signal,
      onBytes: options.onBytes,
    });
    this.#changed = true;
    return { mediaType: options.mediaType, digest, size };
  }

  #setTag(tag: string | undefined, descriptor: Descriptor): void {
    const next = withEntry(this.#index, tag, descriptor);
    if (next) {
      this.#index = next;
      this.#changed = true;
    }
  }

  /**
   * Points a tag at a manifest the archive holds (a pushed tag of the same
   * name is replaced).
   *
   * @param descriptor The manifest.
   * @param tag The tag.
   * @param _options Unused (cancellation).
   * @throws {ContentNotFoundError} When the manifest is not there.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./app.tar");
   * await archive.tag(await archive.resolve("1"), "latest");
   * await archive.close();
   * ```
   */
  tag(
    descriptor: Descriptor,
    tag: string,
    _options?: StoreCallOptions,
  ): Promise<void> {
    if (!this.#content.has(parseDigest(descriptor.digest).digest)) {
      return Promise.reject(
        new ContentNotFoundError(
          `tag ${descriptor.digest} as "${tag}" in ${this.#label}`,
          this.path,
          "no such manifest",
        ),
      );
    }
    this.#setTag(tag, descriptor);
    return Promise.resolve();
  }

  /**
   * Removes a tag (a string), or every entry of a manifest and its blob (a
   * descriptor; the blobs it points to stay).
   *
   * @param target The tag, or what to delete.
   * @param _options Unused (cancellation).
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./app.tar");
   * await archive.delete("old");
   * await archive.close();
   * ```
   */
  async delete(
    target: string | Descriptor,
    _options?: StoreCallOptions,
  ): Promise<void> {
    const next = withoutEntry(this.#index, target);
    if (next) {
      this.#index = next;
      this.#changed = true;
    }
    if (typeof target === "object") {
      const digest = parseDigest(target.digest).digest;
      if (this.#content.has(digest)) {
        await this.#content.remove(digest);
        this.#changed = true;
      }
    }
  }

  /**
   * Writes the archive when anything changed: to a temporary file beside
   * it, renamed into place once complete; the staging directory is removed
   * either way. Calling it again does nothing.
   *
   * @param options Cancellation (the archive is then left as it was).
   * @returns Nothing.
   * @throws {DigestMismatchError} When content kept from the old archive no
   * longer matches its digest (the old archive is left as it was).
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./out.tar", { create: true });
   * await archive.close();
   * ```
   */
  async close(options: CloseArchiveOptions = {}): Promise<void> {
    if (this.#content.done) return;
    if (!this.#changed) return await this.#content.discard();
    const enc = new TextEncoder();
    await this.#content.commit([
      {
        path: "oci-layout",
        bytes: enc.encode(
          JSON.stringify({ imageLayoutVersion: OCI_IMAGE_LAYOUT_VERSION }),
        ),
      },
      { path: "index.json", bytes: enc.encode(JSON.stringify(this.#index)) },
    ], options.signal);
  }

  /**
   * Drops what was written since the archive was opened: the staging
   * directory is removed and the archive file is left as it was (a new
   * archive is never created). Use it when a copy into the archive fails.
   *
   * @returns Nothing.
   *
   * @example
   * ```ts
   * import { OciArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await OciArchive.open("./out.tar", { create: true });
   * await archive.discard();
   * ```
   */
  async discard(): Promise<void> {
    if (this.#content.done) return;
    await this.#content.discard();
  }
}
