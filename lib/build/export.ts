/**
 * The filesystem of an image as one tar: {@linkcode exportFilesystem} merges
 * the layers of one platform's image (whiteouts applied, whiteout files
 * left out, what upper layers replace hidden) into an uncompressed tar
 * stream, as a container would see the image. Layers are read once each,
 * from the top down, and streamed: memory grows with the number of paths,
 * never with the size of the layers.
 *
 * @example Write the filesystem of an image in a registry to a file
 * ```ts
 * import { exportFilesystem, RegistryStore } from "jsr:@scope/docker-registry-client";
 * import { createWriteStream } from "node:fs";
 * import { Writable } from "node:stream";
 *
 * const tar = await exportFilesystem(new RegistryStore("http://127.0.0.1:5000/app:1"));
 * await tar.pipeTo(Writable.toWeb(createWriteStream("rootfs.tar")));
 * ```
 *
 * @module
 */

import type { ManifestData, ReadOnlyImageStore } from "../content/store.ts";
import {
  type ImageManifest,
  isImageIndex,
  isImageManifest,
} from "../ref/media_types.ts";
import {
  formatPlatform,
  parsePlatform,
  type PlatformSpec,
  selectPlatform,
} from "../ref/platform.ts";
import { TarWriter } from "../tar/writer.ts";
import {
  fetchRoot,
  indexPlatforms,
  isAttestation,
  storeProblem,
} from "./_image.ts";
import { mergedEntries } from "./_merge.ts";

/** Options of {@linkcode exportFilesystem}. */
export interface ExportOptions {
  /** A tag or digest; by default the store's own reference. */
  reference?: string;
  /**
   * The platform to export from an index (`"linux/arm64"`); needed when the
   * index has more than one.
   */
  platform?: string | PlatformSpec;
  /** Cancels reading: the stream errors with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The image manifest of one platform: the manifest `reference` names, or
 * the entry of its index for `platform` (or its only platform).
 *
 * @param store Where the image is.
 * @param options Which image (`reference`), the platform, cancellation.
 * @returns The image manifest, read and verified.
 * @throws {TypeError} When an index has several platforms and none is chosen.
 * @throws {StoreError} (or {@linkcode RegistryError}) When the platform is
 * not in the index or the manifest is not an image.
 *
 * @example
 * ```ts
 * import { MemoryStore, resolveImage } from "jsr:@scope/docker-registry-client";
 *
 * const image = await resolveImage(new MemoryStore(), { reference: "1", platform: "linux/amd64" });
 * console.log(image.descriptor.digest);
 * ```
 */
export async function resolveImage(
  store: ReadOnlyImageStore,
  options: ExportOptions = {},
): Promise<ManifestData> {
  const { signal } = options;
  let root = await fetchRoot(store, options.reference, signal);
  if (isImageIndex(root.manifest)) {
    const want = options.platform === undefined
      ? undefined
      : typeof options.platform === "string"
      ? parsePlatform(options.platform)
      : options.platform;
    const have = indexPlatforms(root.manifest);
    const images = root.manifest.manifests.filter((d) =>
      d.platform && !isAttestation(d)
    );
    const entry = want
      ? selectPlatform(root.manifest, want)
      : images.length === 1
      ? images[0]
      : undefined;
    if (!entry && !want) {
      throw new TypeError(
        `Cannot read one image of "${store.name}": it is an index of ${have.length} platforms (${
          have.join(", ")
        }); choose one`,
      );
    }
    if (!entry) {
      throw storeProblem(
        store,
        `select platform ${formatPlatform(want!)} from "${store.name}"`,
        `the index has ${have.length ? have.join(", ") : "no platforms"}`,
      );
    }
    root = await store.fetchManifest(entry, { signal });
  }
  if (!isImageManifest(root.manifest)) {
    throw storeProblem(
      store,
      `read the image of "${store.name}"`,
      `${root.descriptor.digest} is not an image manifest`,
    );
  }
  return root;
}

/**
 * The merged filesystem of an image (one platform), as an uncompressed tar
 * stream: the layers applied in order, whiteouts honoured and left out.
 * Entries keep their metadata (mode, owners, times, extended attributes);
 * names are normalised (`etc/passwd`, directories `etc/`). Layers are read
 * (and verified) as the stream is read.
 *
 * @param store Where the image is.
 * @param options Which image (`reference`), the platform of an index, cancellation.
 * @returns The tar stream; cancelling it stops reading the layers.
 * @throws {TypeError} When an index has several platforms and none is chosen.
 * @throws {UnsafeTarEntryError} (from the stream) When a layer holds an
 * entry that would leave the root.
 *
 * @example
 * ```ts
 * import { exportFilesystem, OciLayout } from "jsr:@scope/docker-registry-client";
 *
 * const tar = await exportFilesystem(await OciLayout.open("./app-oci"), { reference: "1" });
 * console.log((await new Response(tar).bytes()).byteLength);
 * ```
 */
export async function exportFilesystem(
  store: ReadOnlyImageStore,
  options: ExportOptions = {},
): Promise<ReadableStream<Uint8Array>> {
  const image = await resolveImage(store, options);
  const manifest = image.manifest as ImageManifest;
  const attempted =
    `export the filesystem of "${store.name}" (${image.descriptor.digest})`;
  const entries = mergedEntries(store, manifest.layers, {
    attempted,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return new TarWriter(entries, {
    attempted,
    source: store.name,
    ...(options.signal ? { signal: options.signal } : {}),
  }).stream();
}
