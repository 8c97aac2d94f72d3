/**
 * OCI image layouts on disk (the OCI image spec's `image-layout.md`): an
 * `oci-layout` file (`{"imageLayoutVersion":"1.0.0"}`), an `index.json`
 * image index whose entries carry their tag in the
 * `org.opencontainers.image.ref.name` annotation, and the content under
 * `blobs/<alg>/<hex>`. skopeo (`oci:DIR:TAG`), crane, regctl and oras read
 * and write the same format.
 *
 * {@linkcode OciLayout} is an {@linkcode ImageStore}. Blobs are renamed
 * into place once their digest checks out and read as verified streams;
 * `index.json` is replaced atomically.
 *
 * @example Read what a layout holds
 * ```ts
 * import { OciLayout } from "jsr:@scope/docker-registry-client";
 * const layout = await OciLayout.open("./alpine-oci");
 * for (const tag of await layout.listTags()) {
 *   const desc = await layout.resolve(tag);
 *   console.log(tag, desc.digest, desc.mediaType);
 * }
 * ```
 *
 * @module
 */

import { lstat, rm } from "node:fs/promises";
import { join } from "@std/path/posix/join";
import {
  collectBounded,
  manifestDescriptor,
  manifestMediaType,
  parseManifestBytes,
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
import { digestOf, parseDigest } from "../ref/digest.ts";
import type { Descriptor, ImageIndex } from "../ref/media_types.ts";
import { writeBlobFile } from "./_blob_write.ts";
import { readBlobFile } from "./_blob_read.ts";
import { pushToLayout } from "./_push.ts";
import { BlobChecker } from "./_blob_check.ts";
import { initLayout, inspectLayoutDir, unsafePath } from "./_open.ts";
import { readIndexFile, updateIndexFile } from "./_index_file.ts";
import { checkDirs } from "./_paths.ts";
import { removeStaleLayoutFiles } from "./cleanup.ts";
import {
  OciLayoutError,
  type OpenLayoutOptions,
  type ReadLayoutBlobOptions,
  type WriteLayoutBlobOptions,
  type WrittenLayoutBlob,
} from "./options.ts";
import {
  emptyIndex,
  findEntry,
  MAX_JSON_BYTES,
  REF_NAME_ANNOTATION,
  referrersIn,
  type StoreErrorFactory,
  tagsOf,
  withEntry,
  withoutEntry,
} from "./_index.ts";
import { createExclusive, type DiskErrorFactory } from "./_files.ts";

export { REF_NAME_ANNOTATION };
export * from "./options.ts";
export * from "./cleanup.ts";

export { OCI_IMAGE_LAYOUT_VERSION } from "./_open.ts";

/**
 * An OCI image layout directory, and an {@linkcode ImageStore}. Open one
 * with {@linkcode OciLayout.open}. Several processes may write one layout
 * at once: `index.json` is changed under a lock file, each change applied
 * to the index as it then is, so no entry is lost. No path inside the
 * layout is followed through a symlink (code `UNSAFE_PATH`). A blob already
 * there is hashed the first time an instance relies on it (see
 * {@linkcode OpenLayoutOptions.verifyExisting}).
 *
 * @example Write a blob and tag a manifest
 * ```ts
 * import { MEDIA_TYPE, OciLayout } from "jsr:@scope/docker-registry-client";
 * const layout = await OciLayout.open("./out", { create: true });
 * const manifest = new TextEncoder().encode('{"schemaVersion":2}');
 * const { digest, size } = await layout.writeBlob(manifest);
 * await layout.setTag("v1", { mediaType: MEDIA_TYPE.OCI_MANIFEST, digest, size });
 * ```
 */
export class OciLayout implements ImageStore {
  /** Always `"oci-layout"`. */
  readonly kind = "oci-layout" as const;
  /** The layout directory. */
  readonly path: string;
  /** The layout directory (for messages). */
  readonly name: string;
  /** The tag or digest calls use when they name none. */
  readonly reference?: string;
  #indexLock: Promise<unknown> = Promise.resolve();
  /** Set while the layout waits for its first write to be created. */
  #pending?: () => Promise<void>;
  #creating?: Promise<void>;
  #blobs: BlobChecker;

  private constructor(path: string, options: OpenLayoutOptions) {
    this.path = path;
    this.name = path;
    if (options.reference !== undefined) this.reference = options.reference;
    this.#blobs = new BlobChecker(
      path,
      options.verifyExisting ?? true,
      unsafePath(path, `use OCI layout "${path}"`),
    );
  }

  /**
   * Opens a layout; with `create`, makes one in a missing or empty
   * directory (`oci-layout`, `index.json` with no entries, `blobs/`), at
   * once or (`"on-write"`) at the first write. Several processes may create
   * the same layout at once: each succeeds, and one layout results. Opened
   * for writing (`create`), a layout's stale temporary files (those of
   * processes that are gone) are removed.
   *
   * @param path The directory.
   * @param options Whether to create the layout; its default reference;
   * whether to verify blobs already there.
   * @returns The layout.
   * @throws {OciLayoutError} When the directory is not an OCI layout (no
   * `oci-layout` file, an unknown major version, or, with `create`, a
   * directory that holds other files), or `oci-layout`, `index.json` or
   * `blobs/` is a symlink (code `UNSAFE_PATH`).
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out", { create: true });
   * console.log(await layout.listTags());
   * ```
   */
  static async open(
    path: string,
    options: OpenLayoutOptions = {},
  ): Promise<OciLayout> {
    const layout = new OciLayout(path, options);
    const create = options.create ?? false;
    const state = await inspectLayoutDir(path, create);
    if (state !== "empty" && create && options.removeStale !== false) {
      await removeStaleLayoutFiles(path);
    }
    if (state === "missing-index") {
      await createExclusive(
        path,
        "index.json",
        new TextEncoder().encode(JSON.stringify(emptyIndex())),
      );
    } else if (state === "empty") {
      if (options.create === "on-write") {
        layout.#pending = () => initLayout(path);
      } else await initLayout(path);
    }
    return layout;
  }

  /** Creates a layout opened with `create: "on-write"`, once. */
  #ready(): Promise<void> {
    const pending = this.#pending;
    if (!pending) return this.#creating ?? Promise.resolve();
    this.#pending = undefined;
    return this.#creating = pending();
  }

  #fail: StoreErrorFactory = (attempted, problem, notFound) =>
    new OciLayoutError(
      attempted,
      problem,
      this.path,
      notFound ? { code: "NOT_FOUND" } : undefined,
    );

  #make: DiskErrorFactory = (attempted, problem, options) =>
    new OciLayoutError(attempted, problem, this.path, options);

  #errors(attempted: string) {
    return { unsafe: unsafePath(this.path, attempted), make: this.#make };
  }

  /**
   * The path of a blob's file, `blobs/<alg>/<hex>`.
   *
   * @param digest The blob's digest.
   * @returns The path (the file may not exist).
   * @throws {InvalidDigestError} When the digest does not parse.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * console.log(layout.blobPath("sha256:" + "0".repeat(64)));
   * ```
   */
  blobPath(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.path, "blobs", algorithm, encoded);
  }

  /**
   * Whether the layout holds a blob (of the given size, when given). The
   * first time an instance is asked about a blob it did not write, the
   * file is hashed (read once, at disk speed) unless the layout was opened
   * with `verifyExisting: false`: a file that does not match its digest
   * counts as missing, so that a copy fetches it again (and replaces it).
   *
   * @param digest The blob's digest.
   * @param size The expected size, if known.
   * @returns `true` when the file is there (with that size, and verified).
   * @throws {OciLayoutError} With code `UNSAFE_PATH` when the blob file,
   * `blobs/` or `blobs/<alg>/` is a symlink or not what it should be.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * console.log(await layout.hasBlob("sha256:" + "0".repeat(64)));
   * ```
   */
  async hasBlob(digest: string, size?: number): Promise<boolean> {
    if (this.#pending) return false;
    const { algorithm } = parseDigest(digest);
    return await this.#blobs.has(
      digest,
      algorithm,
      this.blobPath(digest),
      size,
    );
  }

  /**
   * Reads a blob as a stream checked against its digest (and size) while it
   * streams: a mismatch errors the stream.
   *
   * @param digest The blob's digest.
   * @param options The expected size, cancellation.
   * @returns The verified stream.
   * @throws {OciLayoutError} With code `NOT_FOUND` when the blob is not there.
   * @throws {SizeMismatchError} When the file's size differs from `size`.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * const desc = await layout.resolve("v1");
   * const stream = await layout.readBlob(desc.digest, { size: desc.size });
   * console.log(await new Response(stream).text());
   * ```
   */
  async readBlob(
    digest: string,
    options: ReadLayoutBlobOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    if (this.#pending) {
      throw new OciLayoutError(
        `read blob ${digest} of OCI layout "${this.path}"`,
        "no such blob",
        this.path,
        { code: "NOT_FOUND" },
      );
    }
    return await readBlobFile(
      this.path,
      digest,
      this.blobPath(digest),
      options,
      this.#errors(`read blob ${digest} of OCI layout "${this.path}"`).unsafe,
    );
  }

  /**
   * Reads a whole (small) blob, such as a manifest or a config, verified.
   *
   * @param digest The blob's digest.
   * @param options The expected size, cancellation.
   * @returns The bytes.
   * @throws {OciLayoutError} With code `NOT_FOUND` when the blob is not there.
   * @throws {RangeError} When the blob is over 16 MiB.
   * @throws {DigestMismatchError} When the content does not match.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * const desc = await layout.resolve("v1");
   * console.log(new TextDecoder().decode(await layout.readBlobBytes(desc.digest)));
   * ```
   */
  async readBlobBytes(
    digest: string,
    options: ReadLayoutBlobOptions = {},
  ): Promise<Uint8Array> {
    return await collectBounded(
      await this.readBlob(digest, options),
      MAX_JSON_BYTES,
      () =>
        new RangeError(
          `Cannot read blob ${digest} of OCI layout "${this.path}" whole: it is over ${MAX_JSON_BYTES} bytes`,
        ),
    );
  }

  /**
   * Writes a blob: the content goes to a temporary file in the layout,
   * which is renamed to `blobs/<alg>/<hex>` only once its digest (and size)
   * check out. A blob already there is not written again (a stream given is
   * then cancelled).
   *
   * @param source The content.
   * @param options The expected digest and size, cancellation.
   * @returns The digest, size and path, and whether it was already there.
   * @throws {DigestMismatchError} When the content does not match `digest`.
   * @throws {SizeMismatchError} When it does not match `size`.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out", { create: true });
   * const res = await fetch("http://127.0.0.1:5000/v2/foo/blobs/sha256:...");
   * await layout.writeBlob(res.body!, { digest: "sha256:..." });
   * ```
   */
  async writeBlob(
    source: ReadableStream<Uint8Array> | Uint8Array,
    options: WriteLayoutBlobOptions = {},
  ): Promise<WrittenLayoutBlob> {
    const { signal } = options;
    let digest: string | undefined;
    try {
      signal?.throwIfAborted();
      await this.#ready();
      // Bytes without a digest are hashed here, once.
      digest = options.digest ??
        (source instanceof Uint8Array ? digestOf(source) : undefined);
      if (digest !== undefined) {
        digest = parseDigest(digest).digest;
        const path = this.blobPath(digest);
        if (await this.hasBlob(digest, options.size)) {
          if (source instanceof ReadableStream) await source.cancel();
          const size = options.size ?? (await lstat(path)).size;
          return { digest, size, path, existed: true };
        }
      }
    } catch (err) {
      // A stream given is released (a response body keeps its connection).
      if (source instanceof ReadableStream) {
        await source.cancel(err).catch(() => {});
      }
      throw err;
    }
    const written = await writeBlobFile(
      this.path,
      (d) => this.blobPath(d),
      source,
      digest,
      options,
      this.#errors(
        `write blob ${
          digest ?? "(digest unknown)"
        } to OCI layout "${this.path}"`,
      ),
    );
    this.#blobs.remember(written.digest);
    return written;
  }

  /**
   * Reads `index.json`.
   *
   * @returns The image index (its `manifests` always an array).
   * @throws {OciLayoutError} When `index.json` is missing or not an index.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * console.log((await layout.readIndex()).manifests.length);
   * ```
   */
  async readIndex(): Promise<ImageIndex> {
    if (this.#pending) return emptyIndex();
    await this.#creating;
    const attempted = `read index.json of OCI layout "${this.path}"`;
    return await readIndexFile(this.path, attempted, this.#errors(attempted));
  }

  /**
   * Replaces `index.json` atomically (temporary file and rename), under the
   * layout's lock (see {@linkcode OciLayout.setTag}).
   *
   * @param index The new index.
   * @returns Nothing.
   * @throws {OciLayoutError} With code `NO_SPACE` when the disk is full,
   * `LOCKED` when another writer holds the lock for over two minutes.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * await layout.writeIndex({ ...(await layout.readIndex()), manifests: [] });
   * ```
   */
  writeIndex(index: ImageIndex): Promise<void> {
    return this.#updateIndex(() => index);
  }

  /**
   * The tags of the layout, from the entries' `ref.name` annotations.
   *
   * @returns The tags, in `index.json` order.
   * @throws {OciLayoutError} When `index.json` cannot be read.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * console.log(await (await OciLayout.open("./out")).listTags()); // ["v1"]
   * ```
   */
  async listTags(): Promise<string[]> {
    return tagsOf(await this.readIndex());
  }

  /**
   * Finds the entry of `index.json` for a tag or digest; without one, the
   * layout's own reference, else its only entry (an untagged layout, or one
   * holding a single image). A digest that is no entry but whose manifest
   * blob is there resolves too.
   *
   * @param tag The tag (`ref.name`) or a digest.
   * @returns The entry's descriptor.
   * @throws {OciLayoutError} When there is no such tag (code `NOT_FOUND`),
   * or no tag was given and the layout does not hold exactly one entry.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * console.log((await layout.resolve("v1")).digest);
   * ```
   */
  async resolve(
    tag?: string,
  ): Promise<Descriptor> {
    const reference = tag ?? this.reference;
    const index = await this.readIndex();
    try {
      return findEntry(
        index,
        reference,
        `OCI layout "${this.path}"`,
        this.#fail,
      );
    } catch (err) {
      if (reference === undefined || !reference.includes(":")) throw err;
      if (!(await this.hasBlob(reference))) throw err;
      return (await this.fetchManifest(reference)).descriptor;
    }
  }

  /**
   * Adds an entry to `index.json`: tagged (replacing any entry with that
   * tag), or untagged (kept once per digest, as for referrers). The change
   * is made under a lock file (`index.json.lock`) shared with other
   * processes, to the index as it is then, and written atomically: entries
   * other writers add meanwhile are kept. A lock whose holder is gone (or
   * older than 30 s) is broken.
   *
   * @param tag The tag to give it, or `undefined` for an untagged entry.
   * @param descriptor The manifest's descriptor (its blob should be there).
   * @returns Nothing.
   * @throws {OciLayoutError} When `index.json` cannot be read; with code
   * `NO_SPACE` when the disk is full, `LOCKED` when a live writer holds the
   * lock for over two minutes.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * await layout.setTag("latest", await layout.resolve("v1"));
   * ```
   */
  setTag(tag: string | undefined, descriptor: Descriptor): Promise<void> {
    return this.#updateIndex((index) => withEntry(index, tag, descriptor));
  }

  #updateIndex(
    change: (index: ImageIndex) => ImageIndex | undefined,
  ): Promise<void> {
    const update = this.#indexLock.then(async () => {
      await this.#ready();
      const attempted = `update index.json of OCI layout "${this.path}"`;
      await updateIndexFile(this.path, change, this.#errors(attempted));
    });
    this.#indexLock = update.catch(() => {});
    return update;
  }

  // ------------------------------------------------------------ ImageStore

  /**
   * Reads a manifest whole, verified: by tag, by digest, or by descriptor.
   *
   * @param target A tag, a digest or a descriptor; by default the layout's reference.
   * @param options Cancellation.
   * @returns The descriptor, exact bytes and parsed manifest.
   * @throws {OciLayoutError} When it is not there (code `NOT_FOUND`) or not a manifest.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * const { manifest, descriptor } = await layout.fetchManifest("v1");
   * console.log(descriptor.digest, descriptor.mediaType);
   * ```
   */
  async fetchManifest(
    target?: string | Descriptor,
    options: StoreCallOptions = {},
  ): Promise<ManifestData> {
    const descriptor = typeof target === "object"
      ? target
      : target !== undefined && target.includes(":")
      ? { mediaType: "", digest: parseDigest(target).digest, size: -1 }
      : await this.resolve(target);
    const bytes = await this.readBlobBytes(descriptor.digest, {
      ...(descriptor.size >= 0 ? { size: descriptor.size } : {}),
      signal: options.signal,
    });
    const manifest = parseManifestBytes(
      bytes,
      (problem) =>
        new OciLayoutError(
          `read manifest ${descriptor.digest} of OCI layout "${this.path}"`,
          problem,
          this.path,
        ),
    );
    return {
      descriptor: manifestDescriptor(
        manifestMediaType(manifest, descriptor.mediaType || undefined),
        descriptor.digest,
        bytes.byteLength,
        descriptor,
      ),
      bytes,
      manifest,
    };
  }

  /**
   * Reads content as a stream verified against the descriptor.
   *
   * @param descriptor What to read.
   * @param options Cancellation.
   * @returns The verified stream.
   * @throws {OciLayoutError} With code `NOT_FOUND` when it is not there.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * const stream = await layout.fetch(await layout.resolve("v1"));
   * console.log(await new Response(stream).text());
   * ```
   */
  fetch(
    descriptor: Descriptor,
    options: StoreCallOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    return this.readBlob(descriptor.digest, {
      size: descriptor.size,
      signal: options.signal,
    });
  }

  /**
   * Whether the layout holds the content (its blob file, of its size).
   *
   * @param descriptor What to look for.
   * @returns `true` when it is there.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * console.log(await layout.exists(await layout.resolve("v1")));
   * ```
   */
  exists(
    descriptor: Descriptor,
  ): Promise<boolean> {
    return this.hasBlob(descriptor.digest, descriptor.size);
  }

  /**
   * The manifests listed in `index.json` whose `subject` is `digest` (the
   * layout keeps referrers as untagged entries).
   *
   * @param digest The subject's digest.
   * @param options An artifact type filter, cancellation.
   * @returns Their descriptors.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * console.log(await layout.referrers((await layout.resolve("v1")).digest));
   * ```
   */
  async referrers(
    digest: string,
    options: ReferrersQuery = {},
  ): Promise<Descriptor[]> {
    return await referrersIn(
      await this.readIndex(),
      digest,
      options.artifactType,
      async (entry) => {
        try {
          return await this.fetchManifest(entry, options);
        } catch (err) {
          if ((err as OciLayoutError).code === "NOT_FOUND") return undefined;
          throw err;
        }
      },
    );
  }

  /**
   * Writes a blob or a manifest (by media type), verified. A manifest is
   * listed in `index.json` when it is tagged (`tag`), when it has a
   * `subject` (a referrer, untagged), or when `listed` asks for it.
   *
   * @param descriptor What the content is.
   * @param content The bytes, a stream, or a function that opens one.
   * @param options A tag, progress, cancellation.
   * @returns `"copied"`, or `"exists"` when the layout had it.
   * @throws {DigestMismatchError} When the content does not match.
   *
   * @example
   * ```ts
   * import { MEDIA_TYPE, OciLayout, digestOf } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out", { create: true });
   * const bytes = new TextEncoder().encode("{}");
   * await layout.push({ mediaType: MEDIA_TYPE.OCI_EMPTY, digest: digestOf(bytes), size: 2 }, bytes);
   * ```
   */
  async push(
    descriptor: Descriptor,
    content: PushContent,
    options: StorePushOptions = {},
  ): Promise<PushAction> {
    return await pushToLayout(this, descriptor, content, options);
  }

  /**
   * Writes a blob whose digest is computed while it is written.
   *
   * @param content The blob.
   * @param options Its media type, progress, cancellation.
   * @returns Its descriptor.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out", { create: true });
   * const d = await layout.pushBlob(new Blob(["data"]).stream(), { mediaType: "text/plain" });
   * console.log(d.digest);
   * ```
   */
  async pushBlob(
    content: ReadableStream<Uint8Array>,
    options: BlobPushOptions,
  ): Promise<Descriptor> {
    const { digest, size } = await this.writeBlob(content, {
      signal: options.signal,
      onBytes: options.onBytes,
    });
    return { mediaType: options.mediaType, digest, size };
  }

  /**
   * Points a tag at a manifest the layout holds.
   *
   * @param descriptor The manifest.
   * @param tag The tag.
   * @throws {OciLayoutError} With code `NOT_FOUND` when the manifest is not there.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * await layout.tag(await layout.resolve("v1"), "latest");
   * ```
   */
  async tag(
    descriptor: Descriptor,
    tag: string,
  ): Promise<void> {
    if (!(await this.hasBlob(descriptor.digest))) {
      throw new OciLayoutError(
        `tag ${descriptor.digest} as "${tag}" in OCI layout "${this.path}"`,
        "no such manifest",
        this.path,
        { code: "NOT_FOUND" },
      );
    }
    await this.setTag(tag, descriptor);
  }

  /**
   * Removes a tag (a string), or every entry of a manifest and its blob
   * file (a descriptor; blobs it points to stay).
   *
   * @param target The tag, or what to delete.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * const layout = await OciLayout.open("./out");
   * await layout.delete("old");
   * ```
   */
  async delete(
    target: string | Descriptor,
  ): Promise<void> {
    await this.#updateIndex((index) => withoutEntry(index, target));
    if (typeof target === "object") {
      const { algorithm, digest } = parseDigest(target.digest);
      const unsafe = this.#errors(
        `delete ${digest} from OCI layout "${this.path}"`,
      ).unsafe;
      if (await checkDirs(this.path, ["blobs", algorithm], unsafe)) {
        await rm(this.blobPath(digest), { force: true });
      }
      this.#blobs.forget(digest);
    }
  }

  /**
   * Waits for pending `index.json` updates; every write is complete when
   * it returns.
   *
   * @returns Nothing.
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   * await (await OciLayout.open("./out")).close();
   * ```
   */
  async close(): Promise<void> {
    await this.#indexLock;
  }

  /** The same as {@linkcode OciLayout.close}. @returns Nothing. */
  discard(): Promise<void> {
    return this.close();
  }
}
