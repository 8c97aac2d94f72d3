// Private: what every store needs to know of manifests — telling a manifest
// from a blob by media type, parsing manifest bytes, the media type of a
// manifest that does not declare one, the descriptor to record, and the
// referrers-index entry of a manifest that has a `subject`.

import { StoreError } from "../errors.ts";
import type { PushContent } from "./store.ts";
import {
  type Descriptor,
  IMAGE_MANIFEST_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  isImageIndex,
  type Manifest,
  MEDIA_TYPE,
  SCHEMA1_MEDIA_TYPES,
} from "../ref/media_types.ts";

const MANIFEST_TYPES = new Set([
  ...INDEX_MEDIA_TYPES,
  ...IMAGE_MANIFEST_MEDIA_TYPES,
  ...SCHEMA1_MEDIA_TYPES,
]);

/** Whether content of this media type is a manifest (else a blob). */
export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_TYPES.has(mediaType.split(";")[0].trim().toLowerCase());
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
  if (
    typeof manifest !== "object" || manifest === null || Array.isArray(manifest)
  ) {
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

/** The media type of a manifest: its own, else the one given, else by shape. */
export function manifestMediaType(manifest: Manifest, given?: string): string {
  const declared = (manifest as { mediaType?: unknown }).mediaType;
  if (typeof declared === "string" && declared) return declared;
  if (given) return given;
  return isImageIndex(manifest)
    ? MEDIA_TYPE.OCI_INDEX
    : MEDIA_TYPE.OCI_MANIFEST;
}

/**
 * The referrers' descriptor for a manifest that has a `subject`, as a
 * referrers index lists it; `undefined` when it has none.
 */
export function referrerDescriptor(
  descriptor: Descriptor,
  manifest: Manifest,
): { subject: string; descriptor: Descriptor } | undefined {
  const m = manifest as {
    subject?: Descriptor;
    artifactType?: string;
    config?: Descriptor;
    annotations?: Record<string, string>;
  };
  if (typeof m.subject?.digest !== "string") return undefined;
  const d: Descriptor = {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
  };
  const artifactType = m.artifactType ?? m.config?.mediaType;
  if (artifactType) d.artifactType = artifactType;
  if (m.annotations) d.annotations = m.annotations;
  return { subject: m.subject.digest, descriptor: d };
}

/** The largest manifest a store reads or takes whole (16 MiB). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** The bytes of a manifest given in any content form, bounded. */
export async function bytesOf(
  content: PushContent,
  descriptor: Descriptor,
  store: string,
): Promise<Uint8Array> {
  if (content instanceof Uint8Array) return content;
  const stream = typeof content === "function" ? await content() : content;
  if (descriptor.size > MAX_MANIFEST_BYTES) {
    await stream.cancel();
    throw new StoreError(
      `push manifest ${descriptor.digest}`,
      `${descriptor.size} bytes is over the ${MAX_MANIFEST_BYTES}-byte limit`,
      store,
    );
  }
  return await collectBounded(
    stream,
    MAX_MANIFEST_BYTES,
    () =>
      new StoreError(
        `push manifest ${descriptor.digest}`,
        `it is over the ${MAX_MANIFEST_BYTES}-byte limit`,
        store,
      ),
  );
}

/**
 * Reads a stream whole, up to `max` bytes: past that it is cancelled and
 * `tooLarge()` is thrown.
 */
export async function collectBounded(
  stream: ReadableStream<Uint8Array>,
  max: number,
  tooLarge: () => Error,
  onBytes?: (bytes: number) => void,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) throw tooLarge();
      chunks.push(value.slice());
      onBytes?.(value.byteLength);
    }
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/**
 * What a store records for a manifest it is given: its index entry, and its
 * referrers-index entry when it has a `subject`.
 */
export function manifestEntry(
  bytes: Uint8Array,
  descriptor: Descriptor,
  fail: (problem: string) => Error,
): { entry: Descriptor; referrer?: Descriptor } {
  const parsed = parseManifestBytes(bytes, fail);
  const entry = manifestDescriptor(
    manifestMediaType(parsed, descriptor.mediaType),
    descriptor.digest,
    bytes.byteLength,
    descriptor,
  );
  const r = referrerDescriptor(entry, parsed);
  return r ? { entry, referrer: r.descriptor } : { entry };
}
