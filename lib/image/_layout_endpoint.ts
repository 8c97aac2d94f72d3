// Private: an OCI image layout as the source (push) or destination (pull)
// of an image transfer. Referrers are kept in the layout as untagged
// `index.json` entries and found again by their `subject`.

import {
  type Descriptor,
  isImageIndex,
  type Manifest,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import {
  lazyByteStream,
  type LazyStreamFactory,
} from "../content/_byte_reader.ts";
import { OciLayout, OciLayoutError } from "../layout/oci_layout.ts";
import {
  type ImageSource,
  type ImageTarget,
  type ManifestData,
  manifestDescriptor,
  parseManifestBytes,
  type PutManifestRole,
} from "./_endpoint.ts";

function mediaTypeOf(manifest: Manifest, given?: string): string {
  const declared = (manifest as { mediaType?: unknown }).mediaType;
  if (typeof declared === "string" && declared) return declared;
  if (given) return given;
  return isImageIndex(manifest)
    ? MEDIA_TYPE.OCI_INDEX
    : MEDIA_TYPE.OCI_MANIFEST;
}

/** An OCI layout read from (push). */
export class LayoutSource implements ImageSource {
  readonly name: string;
  readonly #layout: OciLayout;
  readonly #tag?: string;
  #subjects?: Promise<Map<string, Descriptor[]>>;

  constructor(layout: OciLayout, tag?: string) {
    this.#layout = layout;
    this.#tag = tag;
    this.name = tag === undefined ? layout.path : `${layout.path}:${tag}`;
  }

  error(attempted: string, problem: string): Error {
    return new OciLayoutError(attempted, problem, this.#layout.path);
  }

  async root(signal: AbortSignal): Promise<ManifestData> {
    const entry = await this.#layout.resolve(this.#tag);
    return this.manifest(entry, signal);
  }

  async manifest(
    descriptor: Descriptor,
    signal: AbortSignal,
  ): Promise<ManifestData> {
    const bytes = await this.#layout.readBlobBytes(descriptor.digest, {
      size: descriptor.size,
      signal,
    });
    const manifest = parseManifestBytes(
      bytes,
      (problem) =>
        this.error(
          `read manifest ${descriptor.digest} of ${this.name}`,
          problem,
        ),
    );
    return {
      descriptor: manifestDescriptor(
        mediaTypeOf(manifest, descriptor.mediaType),
        descriptor.digest,
        bytes.byteLength,
        descriptor,
      ),
      bytes,
      manifest,
    };
  }

  blob(
    descriptor: Descriptor,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    return this.#layout.readBlob(descriptor.digest, {
      size: descriptor.size,
      signal,
    });
  }

  /** Every manifest listed in `index.json` that has a `subject`, by subject. */
  #bySubject(signal: AbortSignal): Promise<Map<string, Descriptor[]>> {
    this.#subjects ??= (async () => {
      const map = new Map<string, Descriptor[]>();
      const index = await this.#layout.readIndex();
      const seen = new Set<string>();
      for (const entry of index.manifests) {
        if (seen.has(entry.digest)) continue;
        seen.add(entry.digest);
        let data: ManifestData;
        try {
          data = await this.manifest(entry, signal);
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) continue;
          throw err;
        }
        const m = data.manifest as {
          subject?: Descriptor;
          artifactType?: string;
          config?: Descriptor;
          annotations?: Record<string, string>;
        };
        if (!m.subject?.digest) continue;
        const d: Descriptor = {
          mediaType: data.descriptor.mediaType,
          digest: entry.digest,
          size: data.bytes.byteLength,
        };
        const artifactType = m.artifactType ?? m.config?.mediaType;
        if (artifactType) d.artifactType = artifactType;
        if (m.annotations) d.annotations = m.annotations;
        const list = map.get(m.subject.digest) ?? [];
        list.push(d);
        map.set(m.subject.digest, list);
      }
      return map;
    })();
    return this.#subjects;
  }

  async referrers(digest: string, signal: AbortSignal): Promise<Descriptor[]> {
    return (await this.#bySubject(signal)).get(digest) ?? [];
  }
}

/**
 * An OCI layout written to (pull). The layout is opened (and created when
 * missing) at the first write, so that a pull that finds nothing to write
 * (a missing image, no matching platform) leaves no directory behind.
 */
export class LayoutTarget implements ImageTarget {
  readonly name: string;
  readonly tag?: string;
  /** Blobs are read with a BYOB reader into the layout's own buffer. */
  readonly contentStream: LazyStreamFactory = lazyByteStream;
  readonly #dir: string;
  #layout?: Promise<OciLayout>;

  constructor(dir: string, tag?: string) {
    this.#dir = dir;
    this.tag = tag;
    this.name = tag === undefined ? dir : `${dir}:${tag}`;
  }

  #open(): Promise<OciLayout> {
    return this.#layout ??= OciLayout.open(this.#dir, { create: true });
  }

  async writeBlob(
    descriptor: Descriptor,
    content: ReadableStream<Uint8Array>,
    _mountFrom: string | undefined,
    signal: AbortSignal,
  ): Promise<"copied" | "exists"> {
    let layout: OciLayout;
    try {
      layout = await this.#open();
    } catch (err) {
      await content.cancel(err).catch(() => {});
      throw err;
    }
    const { existed } = await layout.writeBlob(content, {
      digest: descriptor.digest,
      size: descriptor.size,
      signal,
      // Every source hands out streams that check themselves against the
      // descriptor's digest (createBlobReadStream, OciLayout.readBlob).
      verified: true,
    });
    return existed ? "exists" : "copied";
  }

  async putManifest(
    data: ManifestData,
    role: PutManifestRole,
    signal: AbortSignal,
  ): Promise<void> {
    const { digest, size, mediaType } = data.descriptor;
    const layout = await this.#open();
    await layout.writeBlob(data.bytes, { digest, size, signal });
    if (role.root) {
      await layout.setTag(role.tag, data.descriptor);
    } else if (role.referrer) {
      const d: Descriptor = { mediaType, digest, size };
      if (data.descriptor.artifactType) {
        d.artifactType = data.descriptor.artifactType;
      }
      await layout.setTag(undefined, d);
    }
  }
}
