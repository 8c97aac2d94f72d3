/**
 * A registry repository as an {@linkcode ImageStore}: what copy, build and
 * sync operations read from and write to, built on the per-repository
 * client ({@linkcode RegistryClientV2}).
 *
 * @example Copy between two registries
 * ```ts
 * import { copy, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * await copy(
 *   new RegistryStore("http://127.0.0.1:5000/app:1"),
 *   new RegistryStore("registry.example.com/app:1", { access: "push", username: "me", password: "secret" }),
 * );
 * ```
 *
 * @module
 */

import { lazyChunkStream } from "../content/_byte_reader.ts";
import {
  bytesOf,
  isManifestMediaType,
  manifestDescriptor,
} from "../content/_manifest.ts";
import type {
  BlobPushOptions,
  ImageStore,
  ManifestData,
  PushAction,
  PushContent,
  ReferrersQuery,
  RepositoryLocation,
  StoreCallOptions,
  StorePushOptions,
} from "../content/store.ts";
import { isVerified, markVerified } from "../content/verify.ts";
import { DigestMismatchError, NotFoundError } from "../errors.ts";
import type { Descriptor } from "../ref/media_types.ts";
import { parseRepoAndRef } from "../ref/reference.ts";
import {
  type ClientOptions,
  createClient,
  type RegistryClientV2,
} from "./client.ts";

/** Options of {@linkcode RegistryStore}: how to reach the registry. */
export interface RegistryStoreOptions extends Omit<ClientOptions, "repo"> {
  /**
   * `"push"` asks for `pull,push` on the repository from the first token
   * request (one token for a whole push); ignored for a client given.
   * @default {"pull"}
   */
  access?: "pull" | "push";
}

/**
 * A repository of a registry, read and written through a
 * {@linkcode RegistryClientV2}. Its reference (tag or digest) is the one
 * calls use when they name none.
 *
 * @example
 * ```ts
 * import { RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const store = new RegistryStore("http://127.0.0.1:5000/app:1");
 * const { descriptor } = await store.fetchManifest();
 * console.log(descriptor.digest, await store.listTags());
 * ```
 */
export class RegistryStore implements ImageStore {
  /** Always `"registry"`. */
  readonly kind = "registry" as const;
  /** The reference without scheme: `127.0.0.1:5000/app:1`. */
  readonly name: string;
  /** The tag or digest of the reference, if any. */
  readonly reference?: string;
  /** The registry and repository (for cross-repository mounts). */
  readonly location: RepositoryLocation;
  /** The client requests go through. */
  readonly client: RegistryClientV2;
  readonly #owned: boolean;

  /**
   * Makes a store for a reference (with client options) or a client.
   *
   * @param ref `http://127.0.0.1:5000/app:1`, `quay.io/org/app@sha256:…`, or a client.
   * @param options Client options (ignored for a client given), and `access`.
   * @throws {InvalidReferenceError} When the reference does not parse.
   */
  constructor(
    ref: string | RegistryClientV2,
    options: RegistryStoreOptions = {},
  ) {
    if (typeof ref === "string") {
      const { access, ...clientOptions } = options;
      const repo = parseRepoAndRef(ref);
      this.client = createClient({
        ...clientOptions,
        repo,
        ...(access === "push"
          ? {
            scopes: [
              ...(clientOptions.scopes ?? []),
              `repository:${repo.remoteName}:pull,push`,
            ],
          }
          : {}),
      });
      this.#owned = true;
    } else if (ref && typeof ref === "object" && "repo" in ref) {
      this.client = ref;
      this.#owned = false;
    } else {
      throw new TypeError(
        "Expected a reference string or a client from createClient()",
      );
    }
    const repo = this.client.repo;
    this.name = repo.canonicalRef;
    const reference = repo.digest ?? repo.tag;
    if (reference !== undefined) this.reference = reference;
    this.location = {
      baseUrl: this.client.baseUrl,
      repository: repo.remoteName,
    };
  }

  /**
   * Finds the manifest a tag or digest names (`HEAD`).
   *
   * @param reference A tag or digest; by default the store's reference, else `latest`.
   * @param options Cancellation.
   * @returns The manifest's descriptor.
   * @throws {NotFoundError} When there is none.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * console.log(await new RegistryStore("http://127.0.0.1:5000/app").resolve("1"));
   * ```
   */
  async resolve(
    reference?: string,
    options: StoreCallOptions = {},
  ): Promise<Descriptor> {
    const head = await this.client.headManifest(reference, options);
    return { mediaType: head.mediaType, digest: head.digest, size: head.size };
  }

  /**
   * Reads a manifest (`GET`), verified: by tag, digest, or descriptor (its
   * platform and artifact type are kept).
   *
   * @param target A tag, digest or descriptor; by default the store's reference.
   * @param options Cancellation.
   * @returns The descriptor, exact bytes and parsed manifest.
   * @throws {NotFoundError} When there is none.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * const { descriptor } = await new RegistryStore("http://127.0.0.1:5000/app:1").fetchManifest();
   * console.log(descriptor.mediaType);
   * ```
   */
  async fetchManifest(
    target?: string | Descriptor,
    options: StoreCallOptions = {},
  ): Promise<ManifestData> {
    const from = typeof target === "object" ? target : undefined;
    const r = await this.client.getManifest(
      typeof target === "object" ? target.digest : target,
      options,
    );
    if (from && from.digest !== r.digest) {
      throw new DigestMismatchError(
        `get manifest "${this.name}@${from.digest}"`,
        from.digest,
        r.digest,
      );
    }
    return {
      descriptor: manifestDescriptor(r.mediaType, r.digest, r.size, from),
      bytes: r.bytes,
      manifest: r.manifest,
    };
  }

  /**
   * Reads a blob (or a manifest) as a stream verified against the
   * descriptor; blob downloads resume after a dropped connection.
   *
   * @param descriptor What to read.
   * @param options Cancellation.
   * @returns The verified stream.
   * @throws {NotFoundError} When it is not there.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * const store = new RegistryStore("http://127.0.0.1:5000/app:1");
   * const { manifest } = await store.fetchManifest();
   * if ("config" in manifest) console.log(await new Response(await store.fetch(manifest.config)).json());
   * ```
   */
  async fetch(
    descriptor: Descriptor,
    options: StoreCallOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    if (isManifestMediaType(descriptor.mediaType)) {
      const { bytes } = await this.fetchManifest(descriptor, options);
      return markVerified(
        new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(),
        descriptor.digest,
      );
    }
    const { stream } = await this.client.createBlobReadStream(
      descriptor.digest,
      { size: descriptor.size, signal: options.signal },
    );
    return markVerified(stream, descriptor.digest);
  }

  /**
   * Whether the repository holds the content: `HEAD` of the manifest (by
   * digest) or of the blob.
   *
   * @param descriptor What to look for.
   * @param options Cancellation.
   * @returns `true` when it is there.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * const store = new RegistryStore("http://127.0.0.1:5000/app:1");
   * console.log(await store.exists(await store.resolve()));
   * ```
   */
  async exists(
    descriptor: Descriptor,
    options: StoreCallOptions = {},
  ): Promise<boolean> {
    if (!isManifestMediaType(descriptor.mediaType)) {
      return await this.client.hasBlob(descriptor.digest, options);
    }
    try {
      const head = await this.client.headManifest(descriptor.digest, options);
      return head.digest === descriptor.digest;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /**
   * The referrers of a manifest (the referrers API, or the `<alg>-<hex>`
   * fallback tag).
   *
   * @param digest The subject's digest.
   * @param options An artifact type filter, cancellation.
   * @returns Their descriptors.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * const store = new RegistryStore("http://127.0.0.1:5000/app:1");
   * console.log(await store.referrers((await store.resolve()).digest));
   * ```
   */
  async referrers(
    digest: string,
    options: ReferrersQuery = {},
  ): Promise<Descriptor[]> {
    return (await this.client.getReferrers(digest, options)).manifests;
  }

  /**
   * Every tag of the repository (all pages).
   *
   * @param options Cancellation.
   * @returns The tags.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * console.log(await new RegistryStore("http://127.0.0.1:5000/app").listTags());
   * ```
   */
  async listTags(options: StoreCallOptions = {}): Promise<string[]> {
    return (await this.client.listTags(options)).tags;
  }

  /**
   * Uploads a blob (skipped when the registry has it; mounted from
   * `mountFrom` on the same registry when it can), or puts a manifest (by
   * digest, or under `tag`). The registry checks the digest of what it is
   * given; bytes and streams that are not already verified are hashed on
   * the way too.
   *
   * @param descriptor What the content is.
   * @param content The bytes, a stream, or a function that opens one (only
   * called when the blob must be uploaded).
   * @param options A tag for a manifest, a mount source, progress, cancellation.
   * @returns `"copied"`, `"mounted"` or `"exists"`.
   * @throws {DigestMismatchError} When the content does not match.
   *
   * @example
   * ```ts
   * import { digestOf, RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * const store = new RegistryStore("http://127.0.0.1:5000/app", { access: "push" });
   * const bytes = new TextEncoder().encode("{}");
   * await store.push({ mediaType: "application/vnd.oci.empty.v1+json", digest: digestOf(bytes), size: 2 }, bytes);
   * ```
   */
  async push(
    descriptor: Descriptor,
    content: PushContent,
    options: StorePushOptions = {},
  ): Promise<PushAction> {
    const { signal } = options;
    if (isManifestMediaType(descriptor.mediaType)) {
      const bytes = await bytesOf(content, descriptor, this.name);
      const ref = options.tag ?? descriptor.digest;
      const result = await this.client.putManifest(ref, bytes, {
        mediaType: descriptor.mediaType,
        signal,
      });
      if (result.digest !== descriptor.digest) {
        throw new DigestMismatchError(
          `put manifest "${this.location.repository}${
            ref.includes(":") ? "@" : ":"
          }${ref}"`,
          descriptor.digest,
          result.digest,
        );
      }
      options.onBytes?.(bytes.byteLength);
      return "copied";
    }
    if (await this.client.hasBlob(descriptor.digest, { signal })) {
      if (content instanceof ReadableStream) await content.cancel();
      return "exists";
    }
    const mountFrom = options.mountFrom &&
        options.mountFrom.baseUrl === this.location.baseUrl &&
        options.mountFrom.repository !== this.location.repository
      ? options.mountFrom.repository
      : undefined;
    // A function is opened only when the upload reads it, and again when
    // part of the upload must be resent (a drop, a token refused mid-way);
    // what it opens is a store's verified stream, and the registry checks
    // the digest too.
    const source = typeof content === "function"
      ? () =>
        Promise.resolve(
          lazyChunkStream(content, (n) => options.onBytes?.(n)),
        )
      : content;
    const verified = typeof content === "function" ||
      (content instanceof ReadableStream &&
        isVerified(content, descriptor.digest));
    const result = await this.client.blobUpload(source, {
      digest: descriptor.digest,
      size: descriptor.size,
      force: true,
      verified,
      ...(mountFrom !== undefined ? { mountFrom } : {}),
      signal,
    });
    if (content instanceof Uint8Array) options.onBytes?.(content.byteLength);
    return result.mounted ? "mounted" : "copied";
  }

  /**
   * Uploads a blob whose digest is computed while it streams (`POST`, then
   * the body, then `PUT ?digest=` with the computed digest).
   *
   * @param content The blob.
   * @param options Its media type, progress, cancellation.
   * @returns Its descriptor.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * const store = new RegistryStore("http://127.0.0.1:5000/app", { access: "push" });
   * console.log(await store.pushBlob(new Blob(["data"]).stream(), { mediaType: "text/plain" }));
   * ```
   */
  async pushBlob(
    content: ReadableStream<Uint8Array>,
    options: BlobPushOptions,
  ): Promise<Descriptor> {
    let sent = 0;
    const { digest, size } = await this.client.blobUpload(content, {
      signal: options.signal,
      ...(options.onBytes
        ? {
          onProgress: (n: number) => {
            options.onBytes!(n - sent);
            sent = n;
          },
        }
        : {}),
    });
    return { mediaType: options.mediaType, digest, size };
  }

  /**
   * Tags a manifest the repository holds: one `GET` of its bytes and one
   * manifest `PUT` under the tag; no blob moves.
   *
   * @param descriptor The manifest.
   * @param tag The tag.
   * @param options Cancellation.
   * @throws {NotFoundError} When the manifest is not there.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * const store = new RegistryStore("http://127.0.0.1:5000/app:1", { access: "push" });
   * await store.tag(await store.resolve(), "stable");
   * ```
   */
  async tag(
    descriptor: Descriptor,
    tag: string,
    options: StoreCallOptions = {},
  ): Promise<void> {
    const { bytes, descriptor: d } = await this.fetchManifest(
      descriptor,
      options,
    );
    await this.push(d, bytes, { tag, signal: options.signal });
  }

  /**
   * Deletes a tag (a string) or a manifest or blob (a descriptor).
   *
   * @param target The tag, or what to delete.
   * @param options Cancellation.
   * @throws {HttpError} When the registry refuses (deletes are often turned off).
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * await new RegistryStore("http://127.0.0.1:5000/app", { access: "push" }).delete("old");
   * ```
   */
  async delete(
    target: string | Descriptor,
    options: StoreCallOptions = {},
  ): Promise<void> {
    if (typeof target === "string") {
      await this.client.deleteManifest(target, options);
    } else if (isManifestMediaType(target.mediaType)) {
      await this.client.deleteManifest(target.digest, options);
    } else await this.client.deleteBlob(target.digest, options);
  }

  /**
   * Closes the client when the store made it.
   *
   * @returns Nothing.
   *
   * @example
   * ```ts
   * import { RegistryStore } from "jsr:@scope/docker-registry-client";
   *
   * await new RegistryStore("http://127.0.0.1:5000/app").close();
   * ```
   */
  close(): Promise<void> {
    if (this.#owned) this.client.close();
    return Promise.resolve();
  }

  /**
   * The same as {@linkcode RegistryStore.close}: every write is already complete.
   *
   * @returns Nothing.
   */
  discard(): Promise<void> {
    return this.close();
  }
}
