/**
 * Adding layers to an image: {@linkcode append} turns directories, files
 * and tars into layers (pushed straight into the destination, digests
 * computed while they stream) or takes layers already built, and writes a
 * new config (`rootfs.diff_ids`, `history`) and manifest on top of a base
 * image — or of nothing, for an image from scratch. From an index, every
 * platform's image gets the layers when asked (`platform: "all"`).
 *
 * The base's blobs are copied to the destination only when it lacks them;
 * nothing the destination has is uploaded again.
 *
 * @example Add a directory to an image in a registry
 * ```ts
 * import { append, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const result = await append(
 *   new RegistryStore("http://127.0.0.1:5000/base:1"),
 *   new RegistryStore("http://127.0.0.1:5000/app:1", { access: "push" }),
 *   { layers: ["./dist"] },
 * );
 * console.log(result.descriptor.digest);
 * ```
 *
 * @module
 */

import type { ImageStore, ReadOnlyImageStore } from "../content/store.ts";
import { type ImageManifest, MEDIA_TYPE } from "../ref/media_types.ts";
import { formatPlatform } from "../ref/platform.ts";
import { type BuiltLayer, type LayerOptions, pushLayer } from "./layer.ts";
import {
  concurrencyOf,
  destinationName,
  ensureBlobs,
  hostPlatform,
  type ImageDraft,
  platformOf,
  pushJson,
  rewrite,
  sourceDateEpoch,
  storeProblem,
  targetTag,
  timestamp,
} from "./_image.ts";
import type {
  BuildOptions,
  BuildResult,
  HistoryEntry,
  ImageConfig,
} from "./types.ts";

/**
 * A layer already built (by {@linkcode pushLayer} or elsewhere), to append
 * as it is.
 */
export interface AppendLayer extends BuiltLayer {
  /** Its history entry; by default `created_by: "dreg append"`. */
  history?: HistoryEntry;
}

/** Options of {@linkcode append}. */
export interface AppendOptions extends BuildOptions {
  /**
   * The layers, bottom first: a path (a directory, a file, or a `.tar` /
   * `.tar.gz`, made into a layer in the destination), or a layer already
   * built. A layer built from a path is pushed once, whatever the number
   * of platforms.
   */
  layers: (string | AppendLayer)[];
  /** How layers are built from paths (compression, ownership …). */
  layerOptions?: LayerOptions;
  /**
   * The time recorded in the config (`created`) and in the new history
   * entries: a date, seconds since 1970 or RFC 3339 text. By default
   * `SOURCE_DATE_EPOCH` when it is set; otherwise none is recorded (the
   * base's `created` is kept), so that the same inputs give the same
   * digest.
   */
  created?: Date | string | number;
  /**
   * The `created_by` of the new history entries.
   * @default {"dreg append"}
   */
  createdBy?: string;
  /** Annotations to set on each image manifest written. */
  annotations?: Record<string, string>;
  /**
   * From an index, which platform's image to change, or `"all"`; an index
   * with no platform chosen is refused. Without a source (from scratch):
   * the new image's platform.
   * @default {the host's: `linux` and its architecture}
   */
  platform?: BuildOptions["platform"];
}

/** The Docker media type for an OCI layer type, in a Docker manifest. */
const DOCKER_LAYER_TYPES: Record<string, string> = {
  [MEDIA_TYPE.OCI_LAYER_GZIP]: MEDIA_TYPE.DOCKER_LAYER,
  [MEDIA_TYPE.OCI_LAYER]: "application/vnd.docker.image.rootfs.diff.tar",
};

/** Appends layers to a draft's manifest and config. */
function addLayers(
  draft: Pick<ImageDraft, "manifest" | "config">,
  layers: AppendLayer[],
  options: AppendOptions,
  created: string | undefined,
): void {
  const { manifest, config } = draft;
  const docker = manifest.mediaType === MEDIA_TYPE.DOCKER_MANIFEST;
  const before = manifest.layers.length;
  const history = [...(config.history ?? [])];
  // History lists one entry per layer (plus empty_layer steps): pad a
  // base that lacks some, so that the new entries line up with the layers.
  let made = history.filter((h) => !h.empty_layer).length;
  while (made < before) {
    history.push({});
    made++;
  }
  for (const layer of layers) {
    const d = { ...layer.descriptor };
    if (docker && DOCKER_LAYER_TYPES[d.mediaType]) {
      d.mediaType = DOCKER_LAYER_TYPES[d.mediaType];
    }
    delete d.platform;
    manifest.layers.push(d);
    config.rootfs = {
      ...config.rootfs,
      diff_ids: [...config.rootfs.diff_ids, layer.diffId],
    };
    history.push(
      layer.history ?? {
        ...(created !== undefined ? { created } : {}),
        created_by: options.createdBy ?? "dreg append",
      },
    );
  }
  config.history = history;
  if (created !== undefined) config.created = created;
  if (options.annotations) {
    manifest.annotations = {
      ...(manifest.annotations ?? {}),
      ...options.annotations,
    };
  }
}

/**
 * The layers, in the destination: paths are built and pushed there (once),
 * layers given are checked to be there (copied from the source if not).
 */
async function prepareLayers(
  source: ReadOnlyImageStore | null,
  target: ImageStore,
  options: AppendOptions,
): Promise<AppendLayer[]> {
  const { signal } = options;
  const out: AppendLayer[] = [];
  for (const layer of options.layers) {
    signal?.throwIfAborted();
    if (typeof layer === "string") {
      const built = await pushLayer(target, layer, {
        ...(options.layerOptions ?? {}),
        ...(signal ? { signal } : {}),
      });
      out.push({ descriptor: built.descriptor, diffId: built.diffId });
      continue;
    }
    if (!layer?.descriptor?.digest || typeof layer.diffId !== "string") {
      throw new TypeError(
        "Invalid layer: expected a path or { descriptor, diffId }",
      );
    }
    if (!await target.exists(layer.descriptor, { signal })) {
      if (!source) {
        throw storeProblem(
          target,
          `append layer ${layer.descriptor.digest} to "${target.name}"`,
          "the destination does not have it",
        );
      }
      await ensureBlobs({
        source,
        target,
        concurrency: concurrencyOf(options.concurrency),
        ...(signal ? { signal } : {}),
      }, [layer.descriptor]);
    }
    out.push(layer);
  }
  return out;
}

/**
 * Adds layers on top of an image and writes the result: the manifest gets
 * the layers, the config their diff IDs and a history entry each
 * (`created_by: "dreg append"`), and the result is written at the
 * destination under the tag. From an index, `platform: "all"` adds them
 * to every platform's image and writes a new index; a platform chooses one
 * image, which then stands alone. With no source (`null`), the image is
 * made from scratch: an empty config for the platform given (or the
 * host's).
 *
 * Layers built from paths go straight into the destination, digests
 * computed as they stream. The base's layers are copied from the source
 * only when the destination lacks them (mounted within one registry).
 *
 * @param source Where the base image is, or `null` for none.
 * @param target Where the layers and the result go (may be the source).
 * @param options The layers, which image, the tag, times, platform.
 * @returns The manifest written and each image changed.
 * @throws {TypeError} On no layers, a bad layer, a bad time, or an index
 * with no platform chosen.
 * @throws {NotFoundError} (registry) or {StoreError} (others) when the base
 * or a layer is not there.
 *
 * @example An image from scratch, into an OCI layout
 * ```ts
 * import { append, OciLayout } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./site-oci", { create: true });
 * await append(null, layout, { layers: ["./public"], platform: "linux/amd64", tag: "1" });
 * ```
 *
 * @example Every platform of an index, with the files of a tarball
 * ```ts
 * import { append, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const store = new RegistryStore("http://127.0.0.1:5000/app:1", { access: "push" });
 * await append(store, store, { layers: ["./certs.tar.gz"], platform: "all", tag: "1-certs" });
 * ```
 */
export async function append(
  source: ReadOnlyImageStore | null,
  target: ImageStore,
  options: AppendOptions,
): Promise<BuildResult> {
  if (!Array.isArray(options?.layers) || options.layers.length === 0) {
    throw new TypeError("Cannot append: no layers given");
  }
  const given = options.created ?? sourceDateEpoch();
  const created = given === undefined ? undefined : timestamp(given);
  if (source === null) return await fromScratch(target, options, created);
  let layers: Promise<AppendLayer[]> | undefined;
  return await rewrite(
    source,
    target,
    { ...options, indexDefault: "ask", verb: "append to" },
    async (draft) => {
      layers ??= prepareLayers(source, target, options);
      addLayers(draft, await layers, options, created);
    },
  );
}

/** {@linkcode append} with no base. */
async function fromScratch(
  target: ImageStore,
  options: AppendOptions,
  created: string | undefined,
): Promise<BuildResult> {
  const { signal } = options;
  const tag = targetTag(target, options.tag);
  if (options.platform === "all") {
    throw new TypeError(
      'Cannot append to nothing for "all" platforms: give one platform (or none, for the host\'s)',
    );
  }
  const platform = options.platform === undefined
    ? hostPlatform()
    : platformOf(options.platform);
  const draft: { manifest: ImageManifest; config: ImageConfig } = {
    manifest: {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPE.OCI_CONFIG, digest: "", size: 0 },
      layers: [],
    },
    config: {
      ...(created !== undefined ? { created } : {}),
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: {},
      rootfs: { type: "layers", diff_ids: [] },
      history: [],
    },
  };
  addLayers(
    draft,
    await prepareLayers(null, target, options),
    options,
    created,
  );
  const config = await pushJson(target, MEDIA_TYPE.OCI_CONFIG, draft.config, {
    ...(signal ? { signal } : {}),
  });
  draft.manifest.config = config;
  const descriptor = await pushJson(
    target,
    MEDIA_TYPE.OCI_MANIFEST,
    draft.manifest,
    {
      ...(signal ? { signal } : {}),
      listed: tag === undefined,
      ...(tag !== undefined ? { tag } : {}),
    },
  );
  return {
    descriptor,
    ...(tag !== undefined ? { tag } : {}),
    destination: destinationName(target, tag),
    images: [{ descriptor, config, platform: formatPlatform(platform) }],
  };
}
