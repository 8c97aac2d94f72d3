/**
 * Docker archives: the `docker save` / `docker load` format, what
 * `skopeo copy … docker-archive:PATH[:REF]` reads and writes.
 *
 * {@linkcode DockerArchive} is an {@linkcode ImageStore}. Reading takes
 * `manifest.json` (Config, RepoTags, Layers) and, when the archive also
 * holds an OCI layout (`index.json`, `oci-layout`, `blobs/sha256/…`, as
 * docker 25+ writes), the manifests listed there with their exact bytes and
 * digests. An image found only in `manifest.json` (older docker, skopeo) is
 * given a Docker schema 2 manifest made up from its files: the config as
 * `application/vnd.docker.container.image.v1+json`, each layer by its
 * content (gzip or plain tar) with the digest of the file as stored.
 *
 * Opening reads the tar headers only; content is read in place by offset
 * and verified as it streams. Writing produces the docker 25 layout: blobs
 * under `blobs/sha256/` (layers as they are, compressed or not), an
 * `index.json` naming each image as docker's containerd store does, and a
 * `manifest.json` (one entry per image) and `repositories` for `docker load`
 * and skopeo. The archive is written at {@linkcode DockerArchive.close},
 * atomically.
 *
 * Tags are references as RepoTags hold them: `app:1`,
 * `registry.example/app:1` (`docker.io/library/app:1` reads as `app:1`).
 *
 * @example Read the image `docker save` wrote
 * ```ts
 * import { DockerArchive } from "jsr:@scope/docker-registry-client";
 *
 * const archive = await DockerArchive.open("./app.tar");
 * console.log(await archive.listTags()); // ["app:1"]
 * const { manifest } = await archive.fetchManifest("app:1");
 * console.log(manifest);
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
import {
  type Descriptor,
  isSchema1Manifest,
  SCHEMA1_MEDIA_TYPES,
} from "../ref/media_types.ts";
import { ArchiveContent, readManifest, referrersAmong } from "./_content.ts";
import {
  dockerMetaFiles,
  type DockerRoot,
  familiarTag,
  loadDockerArchive,
} from "./_docker_format.ts";
import type { CloseArchiveOptions, OpenArchiveOptions } from "./oci_archive.ts";

/**
 * A docker archive, and an {@linkcode ImageStore}. Open one with
 * {@linkcode DockerArchive.open}; finish writing with
 * {@linkcode DockerArchive.close} (or drop what was written with
 * {@linkcode DockerArchive.discard}).
 *
 * A tag is a `name:tag` reference (`app:1`). A bare word (`1`) is a tag of
 * the repository the archive was opened with (`docker-archive:x.tar:app:2`
 * makes `1` mean `app:1`); reading, a bare word that names no such tag is
 * taken as an image name, as docker does (`app` is `app:latest`). `@N`
 * names the N-th entry of `manifest.json`, as skopeo's
 * `docker-archive:PATH:@N` does.
 *
 * @example Write an image for `docker load`
 * ```ts
 * import { copy, DockerArchive, OciLayout } from "jsr:@scope/docker-registry-client";
 *
 * const src = await OciLayout.open("./app-oci");
 * const dst = await DockerArchive.open("./app.tar", { create: true, reference: "app:1" });
 * try {
 *   await copy(src, dst, { reference: "1" });
 *   await dst.close();
 * } catch (err) {
 *   await dst.discard();
 *   throw err;
 * }
 * ```
 */
export class DockerArchive implements ImageStore {
  /** Always `"docker-archive"`. */
  readonly kind = "docker-archive" as const;
  /** The archive's path. */
  readonly path: string;
  /** `docker-archive:PATH`, for messages. */
  readonly name: string;
  /** The reference calls use when they name none (`app:1`, a digest, `@0`). */
  readonly reference?: string;
  #content: ArchiveContent;
  #roots: DockerRoot[];
  #items: Descriptor[];
  #changed = false;

  private constructor(
    content: ArchiveContent,
    roots: DockerRoot[],
    items: Descriptor[],
    reference?: string,
  ) {
    this.#content = content;
    this.#roots = roots;
    this.#items = items;
    this.path = content.path;
    this.name = `docker-archive:${content.path}`;
    if (reference !== undefined) this.reference = reference;
  }

  /**
   * Opens a docker archive: its tar headers are indexed and
   * `manifest.json` / `index.json` read; nothing is extracted.
   *
   * @param path The tar file.
   * @param options Whether to start a new archive; the default reference.
   * @returns The archive.
   * @throws {StoreError} When the file is missing (code `NOT_FOUND`, without
   * `create`), is not a tar, is not a docker archive, or holds an unsafe
   * entry (an absolute name, a `..`, a link where a blob should be, a name
   * in `manifest.json` that leaves the archive).
   *
   * @example
   * ```ts
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./app.tar", { reference: "app:1" });
   * console.log((await archive.resolve()).digest);
   * ```
   */
  static async open(
    path: string,
    options: OpenArchiveOptions = {},
  ): Promise<DockerArchive> {
    const label = `docker archive "${path}"`;
    const content = await ArchiveContent.open(path, label, !!options.create);
    if (content.entries.size === 0 && options.create) {
      return new DockerArchive(content, [], [], options.reference);
    }
    const { roots, items } = await loadDockerArchive(content, `open ${label}`);
    return new DockerArchive(content, roots, items, options.reference);
  }

  get #label(): string {
    return this.#content.label;
  }

  /** The repository of the reference the archive was opened with. */
  #repository(): string | undefined {
    const ref = this.reference;
    if (ref === undefined || isDigest(ref) || ref.startsWith("@")) {
      return undefined;
    }
    try {
      const tag = familiarTag(ref);
      return tag.slice(0, tag.lastIndexOf(":"));
    } catch {
      return undefined;
    }
  }

  /** The `name:tag` a tag given to a write means. */
  #tagKey(tag: string, attempted: string): string {
    if (tag.includes(":") || tag.includes("/")) return familiarTag(tag);
    const repository = this.#repository();
    if (repository === undefined) {
      throw new StoreError(
        attempted,
        `a docker archive names images NAME:TAG; "${tag}" has no name (give one, or open the archive with a reference such as "app:1")`,
        this.path,
      );
    }
    return `${repository}:${tag}`;
  }

  /** The `name:tag`s a reference read may mean, in order. */
  #readKeys(reference: string): string[] {
    const keys: string[] = [];
    const repository = this.#repository();
    const bare = !reference.includes(":") && !reference.includes("/");
    if (bare && repository !== undefined && reference !== this.reference) {
      keys.push(`${repository}:${reference}`);
    }
    try {
      keys.push(familiarTag(reference));
    } catch {
      keys.push(reference);
    }
    return keys;
  }

  /**
   * The archive's tags (`name:tag`, as RepoTags hold them).
   *
   * @param _options Unused (cancellation).
   * @returns The tags.
   *
   * @example
   * ```ts
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * console.log(await (await DockerArchive.open("./app.tar")).listTags()); // ["app:1"]
   * ```
   */
  listTags(_options?: StoreCallOptions): Promise<string[]> {
    return Promise.resolve(this.#roots.flatMap((r) => r.tags));
  }

  /**
   * Finds the image a reference names: a `name:tag`, a bare tag, a digest,
   * or `@N` (the N-th entry of `manifest.json`); without one, the archive's
   * reference, else its only image.
   *
   * @param reference What to find.
   * @param options Cancellation.
   * @returns The manifest's descriptor (an index's, for a multi-platform image).
   * @throws {ContentNotFoundError} When there is no such image.
   * @throws {StoreError} When none is named and the archive holds several.
   *
   * @example
   * ```ts
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./app.tar");
   * console.log((await archive.resolve("app:1")).digest);
   * ```
   */
  async resolve(
    reference?: string,
    options: StoreCallOptions = {},
  ): Promise<Descriptor> {
    const ref = reference ?? this.reference;
    const attempted = `find ${
      ref === undefined ? "the image" : `"${ref}"`
    } in ${this.#label}`;
    const tags = () => {
      const all = this.#roots.flatMap((r) => r.tags);
      return all.length ? `(tags: ${all.join(", ")})` : "(no tags)";
    };
    if (ref === undefined) {
      if (this.#roots.length === 1) return this.#roots[0].descriptor;
      if (this.#roots.length === 0) {
        throw new ContentNotFoundError(attempted, this.path, "it is empty");
      }
      throw new StoreError(
        attempted,
        `it holds ${this.#roots.length} images: name one ${tags()}`,
        this.path,
      );
    }
    if (/^@\d+$/.test(ref)) {
      const item = this.#items[Number(ref.slice(1))];
      if (item) return item;
      throw new ContentNotFoundError(
        attempted,
        this.path,
        `manifest.json has ${this.#items.length} entries`,
      );
    }
    if (isDigest(ref)) {
      const root = this.#roots.find((r) => r.descriptor.digest === ref);
      if (root) return root.descriptor;
      if (this.#content.has(ref)) {
        return (await this.fetchManifest(ref, options)).descriptor;
      }
      throw new ContentNotFoundError(attempted, this.path, "no such manifest");
    }
    for (const key of this.#readKeys(ref)) {
      const root = this.#roots.find((r) => r.tags.includes(key));
      if (root) return root.descriptor;
    }
    throw new ContentNotFoundError(
      attempted,
      this.path,
      `no such tag ${tags()}`,
    );
  }

  /**
   * Reads a manifest whole, verified: by reference, digest or descriptor.
   *
   * @param target A reference, a digest or a descriptor; by default the archive's reference.
   * @param options Cancellation.
   * @returns The descriptor, exact bytes and parsed manifest.
   * @throws {ContentNotFoundError} When it is not there.
   *
   * @example
   * ```ts
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./app.tar");
   * console.log((await archive.fetchManifest("app:1")).manifest);
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
   * size while it streams.
   *
   * @param descriptor What to read.
   * @param options Cancellation.
   * @returns The verified stream.
   * @throws {ContentNotFoundError} When it is not there.
   *
   * @example
   * ```ts
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./app.tar");
   * const { manifest } = await archive.fetchManifest("app:1");
   * if ("config" in manifest) {
   *   console.log(await new Response(await archive.fetch(manifest.config)).json());
   * }
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
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./app.tar");
   * console.log(await archive.exists(await archive.resolve("app:1")));
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
   * The manifests the archive lists whose `subject` is `digest`.
   *
   * @param digest The subject's digest.
   * @param options An artifact type filter, cancellation.
   * @returns Their descriptors.
   *
   * @example
   * ```ts
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./app.tar");
   * console.log(await archive.referrers((await archive.resolve("app:1")).digest));
   * ```
   */
  referrers(
    digest: string,
    options: ReferrersQuery = {},
  ): Promise<Descriptor[]> {
    return referrersAmong(
      this.#roots.map((r) => r.descriptor),
      (d) => this.fetchManifest(d, options),
      digest,
      options.artifactType,
    );
  }

  /**
   * Stages a blob or a manifest (by media type), verified before it is
   * kept. A manifest is listed when it is tagged (`tag`, a `name:tag` or a
   * bare tag of the archive's repository), when it has a `subject`, or when
   * `listed` asks.
   *
   * @param descriptor What the content is.
   * @param content The bytes, a stream, or a function that opens one.
   * @param options A tag, progress, cancellation.
   * @returns `"copied"`, or `"exists"` when the archive had it.
   * @throws {DigestMismatchError} When the content does not match.
   * @throws {StoreError} For a Docker schema 1 manifest (the format cannot
   * hold one), a bare tag without a repository, a sha512 digest, or once the
   * archive is closed.
   *
   * @example
   * ```ts
   * import { digestOf, DockerArchive, MEDIA_TYPE } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./out.tar", { create: true });
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
    const attempted = `push ${descriptor.digest} to ${this.#label}`;
    const release = async () => {
      if (content instanceof ReadableStream) {
        await content.cancel().catch(() => {});
      }
    };
    const refuse = async (problem: string) => {
      await release();
      return new StoreError(attempted, problem, this.path);
    };
    if (SCHEMA1_MEDIA_TYPES.includes(descriptor.mediaType)) {
      throw await refuse(SCHEMA1);
    }
    if (!isManifestMediaType(descriptor.mediaType)) {
      const action = await this.#content.stage(descriptor, content, {
        signal,
        onBytes: options.onBytes,
      });
      if (action === "copied") this.#changed = true;
      return action;
    }
    let key: string | undefined;
    try {
      if (options.tag !== undefined) key = this.#tagKey(options.tag, attempted);
    } catch (err) {
      await release();
      throw err;
    }
    const bytes = await bytesOf(content, descriptor, this.path);
    const parsed = parseManifestBytes(
      bytes,
      (problem) => new StoreError(attempted, problem, this.path),
    );
    if (isSchema1Manifest(parsed)) throw await refuse(SCHEMA1);
    const action = await this.#content.stage(descriptor, bytes, { signal });
    if (action === "copied") this.#changed = true;
    options.onBytes?.(bytes.byteLength);
    const entry = manifestDescriptor(
      manifestMediaType(parsed, descriptor.mediaType),
      descriptor.digest,
      bytes.byteLength,
      descriptor,
    );
    const referrer = referrerDescriptor(entry, parsed);
    if (key !== undefined) this.#setTag(key, entry);
    else if (referrer) this.#list(referrer.descriptor);
    else if (options.listed) this.#list(entry);
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
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./out.tar", { create: true });
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

  /** Gives `key` to `descriptor`, taking it from any other image. */
  #setTag(key: string, descriptor: Descriptor): void {
    this.#untag(key);
    const root = this.#roots.find((r) =>
      r.descriptor.digest === descriptor.digest
    );
    if (root) root.tags.push(key);
    else this.#roots.push({ descriptor, tags: [key], listed: false });
    this.#changed = true;
  }

  /** Lists `descriptor` untagged (once). */
  #list(descriptor: Descriptor): void {
    const root = this.#roots.find((r) =>
      r.descriptor.digest === descriptor.digest
    );
    if (root?.listed) return;
    if (root) root.listed = true;
    else this.#roots.push({ descriptor, tags: [], listed: true });
    this.#changed = true;
  }

  /** Removes a tag; an image left without tags and not listed goes. */
  #untag(key: string): boolean {
    let found = false;
    for (const root of this.#roots) {
      const i = root.tags.indexOf(key);
      if (i >= 0) {
        root.tags.splice(i, 1);
        found = true;
      }
    }
    this.#roots = this.#roots.filter((r) => r.tags.length || r.listed);
    return found;
  }

  /**
   * Points a tag (`name:tag`, or a bare tag of the archive's repository) at
   * a manifest the archive holds; an image that had it loses it.
   *
   * @param descriptor The manifest.
   * @param tag The tag.
   * @param _options Unused (cancellation).
   * @throws {ContentNotFoundError} When the manifest is not there.
   *
   * @example
   * ```ts
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./app.tar");
   * await archive.tag(await archive.resolve("app:1"), "app:latest");
   * await archive.close();
   * ```
   */
  tag(
    descriptor: Descriptor,
    tag: string,
    _options?: StoreCallOptions,
  ): Promise<void> {
    const attempted = `tag ${descriptor.digest} as "${tag}" in ${this.#label}`;
    try {
      if (!this.#content.has(parseDigest(descriptor.digest).digest)) {
        throw new ContentNotFoundError(
          attempted,
          this.path,
          "no such manifest",
        );
      }
      this.#setTag(this.#tagKey(tag, attempted), descriptor);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Removes a tag (a string), or an image and its manifest (a descriptor;
   * the blobs it points to stay).
   *
   * @param target The tag, or what to delete.
   * @param _options Unused (cancellation).
   *
   * @example
   * ```ts
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./app.tar");
   * await archive.delete("app:old");
   * await archive.close();
   * ```
   */
  async delete(
    target: string | Descriptor,
    _options?: StoreCallOptions,
  ): Promise<void> {
    if (typeof target === "string") {
      for (const key of this.#readKeys(target)) {
        if (this.#untag(key)) {
          this.#changed = true;
          break;
        }
      }
      return;
    }
    const digest = parseDigest(target.digest).digest;
    const before = this.#roots.length;
    this.#roots = this.#roots.filter((r) => r.descriptor.digest !== digest);
    this.#items = this.#items.filter((d) => d.digest !== digest);
    if (this.#roots.length !== before) this.#changed = true;
    if (this.#content.has(digest)) {
      await this.#content.remove(digest);
      this.#changed = true;
    }
  }

  /**
   * Writes the archive when anything changed (docker 25 layout: blobs,
   * `index.json`, `oci-layout`, `manifest.json`, `repositories`) to a
   * temporary file beside it, renamed into place once complete; the staging
   * directory is removed either way. Calling it again does nothing.
   *
   * @param options Cancellation (the archive is then left as it was).
   * @returns Nothing.
   * @throws {StoreError} When an image's config or layer is missing.
   * @throws {DigestMismatchError} When content kept from the old archive no
   * longer matches its digest (the old archive is left as it was).
   *
   * @example
   * ```ts
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./out.tar", { create: true });
   * await archive.close();
   * ```
   */
  async close(options: CloseArchiveOptions = {}): Promise<void> {
    if (this.#content.done) return;
    if (!this.#changed) return await this.#content.discard();
    let meta;
    try {
      meta = await dockerMetaFiles(
        this.#content,
        this.#roots,
        `write ${this.#label}`,
      );
    } catch (err) {
      await this.#content.discard();
      throw err;
    }
    await this.#content.commit(meta, options.signal);
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
   * import { DockerArchive } from "jsr:@scope/docker-registry-client";
   *
   * const archive = await DockerArchive.open("./out.tar", { create: true });
   * await archive.discard();
   * ```
   */
  async discard(): Promise<void> {
    if (this.#content.done) return;
    await this.#content.discard();
  }
}

const SCHEMA1 =
  "a Docker schema 1 manifest cannot be stored in a docker archive (convert it to schema 2 or OCI first)";
