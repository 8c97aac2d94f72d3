/**
 * Squashing an image into one layer: {@linkcode flatten} merges the layers
 * of an image (whiteouts applied, as {@linkcode exportFilesystem} does) and
 * writes the result as a new image of one gzip'ed layer, with a config
 * whose `rootfs.diff_ids` and `history` have one entry each (everything
 * else — env, entrypoint, labels, platform — kept). From an index, one
 * platform's image is flattened, or every platform's (`platform: "all"`)
 * into a new index. Any store to any store; only the new layer, config
 * and manifest are written.
 *
 * @example Flatten an image from one registry repository into another
 * ```ts
 * import { flatten, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const result = await flatten(
 *   new RegistryStore("http://127.0.0.1:5000/app:1"),
 *   new RegistryStore("http://127.0.0.1:5000/app:1-flat", { access: "push" }),
 * );
 * console.log(result.descriptor.digest);
 * ```
 *
 * @module
 */

import type { ImageStore, ReadOnlyImageStore } from "../content/store.ts";
import { type ImageManifest, MEDIA_TYPE } from "../ref/media_types.ts";
import { TarWriter } from "../tar/writer.ts";
import { pushTarLayer } from "./layer.ts";
import { rewrite } from "./_image.ts";
import { mergedEntries } from "./_merge.ts";
import type { BuildOptions, BuildResult, HistoryEntry } from "./types.ts";

/** Options of {@linkcode flatten}. */
export interface FlattenOptions extends BuildOptions {
  /** The gzip level of the new layer, 1 (fast) to 9 (small). @default {6} */
  compressionLevel?: number;
  /** Called with the number of layer (compressed) bytes as they are stored. */
  onBytes?: (n: number) => void;
}

/**
 * Flattens an image: one layer holding its merged filesystem, a new config
 * and manifest, written to the destination (under `options.tag`, else the
 * destination's reference). The layer's media type follows the manifest's
 * (Docker or OCI).
 *
 * @param source Where the image is (its reference, or `options.reference`).
 * @param destination Where the flattened image goes (may be the source).
 * @param options The platform of an index (`"all"` for every one), the
 * tag, compression, progress, cancellation.
 * @returns The manifest (or index) written, and each image's manifest.
 * @throws {TypeError} When the source is an index of several platforms and
 * no platform (or `"all"`) is given.
 * @throws {UnsafeTarEntryError} When a layer holds an entry that would
 * leave the root.
 *
 * @example
 * ```ts
 * import { flatten, OciLayout } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./app-oci");
 * const result = await flatten(layout, layout, { reference: "1", tag: "1-flat" });
 * console.log(result.images[0].descriptor.digest);
 * ```
 */
export async function flatten(
  source: ReadOnlyImageStore,
  destination: ImageStore,
  options: FlattenOptions = {},
): Promise<BuildResult> {
  return await rewrite(source, destination, {
    ...options,
    indexDefault: "ask",
    verb: "flatten",
  }, async (draft, signal) => {
    const manifest = draft.source.manifest as ImageManifest;
    const docker = draft.source.descriptor.mediaType ===
      MEDIA_TYPE.DOCKER_MANIFEST;
    const attempted =
      `flatten "${source.name}" (${draft.source.descriptor.digest})`;
    const tar = new TarWriter(
      mergedEntries(source, manifest.layers, { attempted, signal }),
      { attempted, source: source.name, signal },
    );
    const layer = await pushTarLayer(destination, tar.stream(), {
      signal,
      mediaType: docker ? MEDIA_TYPE.DOCKER_LAYER : MEDIA_TYPE.OCI_LAYER_GZIP,
      ...(options.compressionLevel !== undefined
        ? { compressionLevel: options.compressionLevel }
        : {}),
      ...(options.onBytes ? { onBytes: options.onBytes } : {}),
    });
    draft.manifest.layers = [layer.descriptor];
    draft.config.rootfs = { type: "layers", diff_ids: [layer.diffId] };
    const history: HistoryEntry = {
      created_by: "dreg flatten",
      comment: `flattened ${manifest.layers.length} layer${
        manifest.layers.length === 1 ? "" : "s"
      } of ${draft.source.descriptor.digest}`,
    };
    if (typeof draft.config.created === "string") {
      history.created = draft.config.created;
    }
    draft.config.history = [history];
  });
}
