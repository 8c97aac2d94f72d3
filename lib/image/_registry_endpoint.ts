// Private: a registry repository as the source (pull, copy) or destination
// (push, copy) of an image transfer.

import {
  lazyChunkStream,
  type LazyStreamFactory,
} from "../content/_byte_reader.ts";
import type { RegistryClientV2 } from "../registry/client.ts";
import {
  DigestMismatchError,
  NotFoundError,
  RegistryError,
} from "../errors.ts";
import type { Descriptor } from "../ref/media_types.ts";
import {
  type ImageSource,
  type ImageTarget,
  type ManifestData,
  manifestDescriptor,
  type PutManifestRole,
} from "./_endpoint.ts";

/** The reference without scheme: `127.0.0.1:5000/foo:1`. */
function refName(client: RegistryClientV2): string {
  return client.repo.canonicalRef;
}

/** A registry repository read from. */
export class RegistrySource implements ImageSource {
  readonly name: string;
  readonly registry: { baseUrl: string; repo: string };
  readonly #client: RegistryClientV2;

  constructor(client: RegistryClientV2) {
    this.#client = client;
    this.name = refName(client);
    this.registry = { baseUrl: client.baseUrl, repo: client.repo.remoteName };
  }

  error(attempted: string, problem: string): Error {
    return new RegistryError(`Cannot ${attempted}: ${problem}`);
  }

  async root(signal: AbortSignal): Promise<ManifestData> {
    const r = await this.#client.getManifest(undefined, { signal });
    return {
      descriptor: manifestDescriptor(r.mediaType, r.digest, r.size),
      bytes: r.bytes,
      manifest: r.manifest,
    };
  }

  async manifest(
    descriptor: Descriptor,
    signal: AbortSignal,
  ): Promise<ManifestData> {
    const r = await this.#client.getManifest(descriptor.digest, { signal });
    return {
      descriptor: manifestDescriptor(
        r.mediaType,
        r.digest,
        r.size,
        descriptor,
      ),
      bytes: r.bytes,
      manifest: r.manifest,
    };
  }

  async blob(
    descriptor: Descriptor,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const { stream } = await this.#client.createBlobReadStream(
      descriptor.digest,
      { size: descriptor.size, signal },
    );
    return stream;
  }

  async referrers(digest: string, signal: AbortSignal): Promise<Descriptor[]> {
    return (await this.#client.getReferrers(digest, { signal })).manifests;
  }
}

/** A registry repository written to. */
export class RegistryTarget implements ImageTarget {
  /** Blobs go to fetch as upload bodies: fresh chunks, never reused. */
  readonly contentStream: LazyStreamFactory = lazyChunkStream;
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly registry: { baseUrl: string; repo: string };
  readonly #client: RegistryClientV2;

  constructor(client: RegistryClientV2) {
    this.#client = client;
    this.name = refName(client);
    this.tag = client.repo.tag;
    this.digest = client.repo.digest;
    this.registry = { baseUrl: client.baseUrl, repo: client.repo.remoteName };
  }

  async hasManifest(
    descriptor: Descriptor,
    signal: AbortSignal,
  ): Promise<boolean> {
    try {
      const head = await this.#client.headManifest(descriptor.digest, {
        signal,
      });
      return head.digest === descriptor.digest;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  async writeBlob(
    descriptor: Descriptor,
    content: ReadableStream<Uint8Array>,
    mountFrom: string | undefined,
    signal: AbortSignal,
  ): Promise<"copied" | "mounted" | "exists"> {
    if (await this.#client.hasBlob(descriptor.digest, { signal })) {
      return "exists";
    }
    const result = await this.#client.blobUpload(content, {
      digest: descriptor.digest,
      size: descriptor.size,
      force: true,
      // Every source hands out streams that check themselves against the
      // descriptor's digest (createBlobReadStream, OciLayout.readBlob).
      verified: true,
      ...(mountFrom !== undefined ? { mountFrom } : {}),
      signal,
    });
    return result.mounted ? "mounted" : "copied";
  }

  async putManifest(
    data: ManifestData,
    role: PutManifestRole,
    signal: AbortSignal,
  ): Promise<void> {
    const { digest, mediaType } = data.descriptor;
    const ref = role.root && role.tag !== undefined ? role.tag : digest;
    const result = await this.#client.putManifest(ref, data.bytes, {
      mediaType,
      signal,
    });
    if (result.digest !== digest) {
      throw new DigestMismatchError(
        `put manifest "${this.registry.repo}${
          ref.includes(":") ? "@" : ":"
        }${ref}"`,
        digest,
        result.digest,
      );
    }
  }
}
