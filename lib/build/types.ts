/**
 * The shapes building and changing images share: the image config (OCI
 * image spec and Docker's), the options every build operation takes
 * (which image, which platforms, the tag written) and what it returns.
 *
 * @example Read the labels of an appended image's config
 * ```ts
 * import { append, type ImageConfig, MemoryStore } from "jsr:@scope/docker-registry-client";
 *
 * const store = new MemoryStore();
 * const result = await append(null, store, { layers: ["./site"], tag: "1" });
 * const config: ImageConfig = await new Response(await store.fetch(result.images[0].config)).json();
 * console.log(config.rootfs.diff_ids);
 * ```
 *
 * @module
 */

import type { Descriptor } from "../ref/media_types.ts";
import type { PlatformSpec } from "../ref/platform.ts";

/** An empty object, as the config's `ExposedPorts` and `Volumes` map to. */
export type EmptyObject = Record<string, never>;

/**
 * The execution parameters of an image config (`config`): what a runtime
 * uses when it starts a container. Fields this package does not know are
 * kept as they are.
 */
export interface ContainerConfig {
  /** `user`, `uid`, `user:group` … */
  User?: string;
  /** `"8080/tcp": {}` for each exposed port. */
  ExposedPorts?: Record<string, EmptyObject>;
  /** `KEY=value` entries. */
  Env?: string[];
  /** The entrypoint, as an argument list. */
  Entrypoint?: string[] | null;
  /** The default arguments (or command), as an argument list. */
  Cmd?: string[] | null;
  /** `"/data": {}` for each volume. */
  Volumes?: Record<string, EmptyObject>;
  /** The working directory. */
  WorkingDir?: string;
  /** Labels. */
  Labels?: Record<string, string>;
  /** The signal that stops a container, e.g. `SIGTERM`. */
  StopSignal?: string;
  /** Other fields, kept. */
  [field: string]: unknown;
}

/** One entry of an image config's `history`. */
export interface HistoryEntry {
  /** When the layer was made (RFC 3339). */
  created?: string;
  /** The command that made it, e.g. `dreg append`. */
  created_by?: string;
  /** Who made it. */
  author?: string;
  /** A comment. */
  comment?: string;
  /** `true` when the step made no layer. */
  empty_layer?: boolean;
}

/**
 * An image config (`application/vnd.oci.image.config.v1+json` or Docker's
 * `application/vnd.docker.container.image.v1+json`). Fields this package
 * does not know (Docker's `container_config`, `docker_version` …) are kept.
 */
export interface ImageConfig {
  /** When the image was made (RFC 3339). */
  created?: string;
  /** Who made it. */
  author?: string;
  /** CPU architecture, e.g. `amd64`. */
  architecture: string;
  /** Operating system, e.g. `linux`. */
  os: string;
  /** OS version (Windows). */
  "os.version"?: string;
  /** OS features (Windows). */
  "os.features"?: string[];
  /** CPU variant, e.g. `v8`. */
  variant?: string;
  /** Execution parameters. */
  config?: ContainerConfig;
  /** The uncompressed digests of the layers, base first. */
  rootfs: { type: string; diff_ids: string[] };
  /** How each layer was made. */
  history?: HistoryEntry[];
  /** Other fields, kept. */
  [field: string]: unknown;
}

/** What every operation that writes a new image takes. */
export interface BuildOptions {
  /** The source's tag or digest; by default the source store's reference. */
  reference?: string;
  /**
   * The tag the result gets at the destination; by default the destination
   * store's reference when it is a tag, else none (a layout or archive then
   * lists the result as an untagged entry).
   */
  tag?: string;
  /**
   * When the source is an index: `"all"` changes every platform's image
   * and writes a new index; a platform (`"linux/arm64"`) changes only that
   * platform's image, which then stands alone at the destination (as
   * `copy --platform` does).
   */
  platform?: string | PlatformSpec;
  /**
   * How many blobs of the source are copied to the destination at once
   * (only those it lacks).
   * @default {4}
   */
  concurrency?: number;
  /** Cancels the operation. */
  signal?: AbortSignal;
}

/** One image manifest an operation wrote. */
export interface BuiltImage {
  /** The image manifest (with its platform when it is listed in an index). */
  descriptor: Descriptor;
  /** Its config. */
  config: Descriptor;
  /** `os/arch[/variant]`, from the config. */
  platform: string;
}

/** What an operation that writes an image or index returns. */
export interface BuildResult {
  /** The manifest written at the destination: an image manifest or an index. */
  descriptor: Descriptor;
  /** The tag it was written under, if any. */
  tag?: string;
  /** Where it went: a reference, or `DIR:TAG` for a layout. */
  destination: string;
  /** The image manifests written or changed (one per platform of an index). */
  images: BuiltImage[];
}
