/**
 * Media types of manifests, indexes, configs and layers, the manifest shapes
 * of the Docker and OCI image specs, and guards to tell them apart.
 *
 * @module
 */

/**
 * The media types the client knows by name.
 *
 * @example
 * ```ts
 * import { MEDIA_TYPE } from "jsr:@scope/docker-registry-client";
 *
 * console.log(MEDIA_TYPE.OCI_MANIFEST); // application/vnd.oci.image.manifest.v1+json
 * ```
 */
export const MEDIA_TYPE = {
  /** Docker image manifest, schema 2. */
  DOCKER_MANIFEST: "application/vnd.docker.distribution.manifest.v2+json",
  /** Docker manifest list (multi-platform). */
  DOCKER_MANIFEST_LIST:
    "application/vnd.docker.distribution.manifest.list.v2+json",
  /** Docker image manifest, schema 1 (deprecated). */
  DOCKER_MANIFEST_V1: "application/vnd.docker.distribution.manifest.v1+json",
  /** Docker image manifest, schema 1, signed (deprecated). */
  DOCKER_MANIFEST_V1_SIGNED:
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
  /** Docker image config. */
  DOCKER_CONFIG: "application/vnd.docker.container.image.v1+json",
  /** Docker gzipped layer. */
  DOCKER_LAYER: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  /** OCI image manifest. */
  OCI_MANIFEST: "application/vnd.oci.image.manifest.v1+json",
  /** OCI image index (multi-platform, or a referrers list). */
  OCI_INDEX: "application/vnd.oci.image.index.v1+json",
  /** OCI image config. */
  OCI_CONFIG: "application/vnd.oci.image.config.v1+json",
  /** OCI uncompressed layer. */
  OCI_LAYER: "application/vnd.oci.image.layer.v1.tar",
  /** OCI gzipped layer. */
  OCI_LAYER_GZIP: "application/vnd.oci.image.layer.v1.tar+gzip",
  /** OCI zstd layer. */
  OCI_LAYER_ZSTD: "application/vnd.oci.image.layer.v1.tar+zstd",
  /** The OCI empty JSON descriptor (`{}`), used by artifacts. */
  OCI_EMPTY: "application/vnd.oci.empty.v1+json",
} as const;

/** One of the media types in {@linkcode MEDIA_TYPE}. */
export type MediaType = typeof MEDIA_TYPE[keyof typeof MEDIA_TYPE];

/** Media types of manifests that list other manifests. */
export const INDEX_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE.OCI_INDEX,
  MEDIA_TYPE.DOCKER_MANIFEST_LIST,
];

/** Media types of manifests that describe one image or artifact. */
export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE.OCI_MANIFEST,
  MEDIA_TYPE.DOCKER_MANIFEST,
];

/** Media types of the deprecated Docker schema 1 manifests. */
export const SCHEMA1_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE.DOCKER_MANIFEST_V1,
  MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED,
];

/** A platform, as in an index entry or an image config. */
export interface Platform {
  /** Operating system, e.g. `linux`. */
  os: string;
  /** CPU architecture, e.g. `amd64`, `arm64`. */
  architecture: string;
  /** CPU variant, e.g. `v8` for `arm64/v8`. */
  variant?: string;
  /** OS version (Windows). */
  "os.version"?: string;
  /** OS features (Windows). */
  "os.features"?: string[];
}

/** A content descriptor: what a manifest says of a blob or another manifest. */
export interface Descriptor {
  /** The media type of the content. */
  mediaType: string;
  /** The digest of the content. */
  digest: string;
  /** The size of the content in bytes. */
  size: number;
  /** Other URLs the content may be fetched from. */
  urls?: string[];
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
  /** The platform, in an index entry. */
  platform?: Platform;
  /** The artifact type, in a referrers index entry. */
  artifactType?: string;
  /** Embedded content (base64), when small. */
  data?: string;
}

/** An OCI image manifest or Docker schema 2 manifest. */
export interface ImageManifest {
  /** Always 2. */
  schemaVersion: 2;
  /** The manifest's media type (optional in OCI, required by Docker). */
  mediaType?: string;
  /** The artifact type, for artifacts. */
  artifactType?: string;
  /** The image config. */
  config: Descriptor;
  /** The layers, base first. */
  layers: Descriptor[];
  /** The manifest this one refers to (OCI 1.1 referrers). */
  subject?: Descriptor;
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
}

/** An OCI image index or Docker manifest list. */
export interface ImageIndex {
  /** Always 2. */
  schemaVersion: 2;
  /** The index's media type. */
  mediaType?: string;
  /** The artifact type, for artifacts. */
  artifactType?: string;
  /** The manifests listed. */
  manifests: Descriptor[];
  /** The manifest this one refers to (OCI 1.1 referrers). */
  subject?: Descriptor;
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
}

/** A Docker schema 1 manifest (deprecated; read only when asked for). */
export interface Schema1Manifest {
  /** Always 1. */
  schemaVersion: 1;
  /** Repository name. */
  name: string;
  /** Tag. */
  tag: string;
  /** Architecture. */
  architecture: string;
  /** Layers, top first. */
  fsLayers: { blobSum: string }[];
  /** V1-compatible history. */
  history: { v1Compatibility: string }[];
  /** JWS signatures (signed manifests). */
  signatures?: unknown[];
}

/** Any manifest the client reads or writes. */
export type Manifest = ImageManifest | ImageIndex | Schema1Manifest;

/**
 * Tells whether a manifest lists other manifests (OCI index or Docker
 * manifest list).
 *
 * @param manifest A parsed manifest.
 * @returns `true` for an index.
 *
 * @example
 * ```ts
 * import { isImageIndex } from "jsr:@scope/docker-registry-client";
 *
 * console.log(isImageIndex({ schemaVersion: 2, manifests: [] })); // true
 * ```
 */
export function isImageIndex(manifest: Manifest): manifest is ImageIndex {
  return manifest.schemaVersion === 2 &&
    Array.isArray((manifest as ImageIndex).manifests);
}

/**
 * Tells whether a manifest describes one image or artifact (OCI manifest or
 * Docker schema 2 manifest).
 *
 * @param manifest A parsed manifest.
 * @returns `true` for an image manifest.
 *
 * @example
 * ```ts
 * import { isImageManifest } from "jsr:@scope/docker-registry-client";
 *
 * console.log(isImageManifest({ schemaVersion: 2, manifests: [] })); // false
 * ```
 */
export function isImageManifest(
  manifest: Manifest,
): manifest is ImageManifest {
  return manifest.schemaVersion === 2 &&
    Array.isArray((manifest as ImageManifest).layers) &&
    typeof (manifest as ImageManifest).config === "object";
}

/**
 * Tells whether a manifest is a deprecated Docker schema 1 manifest.
 *
 * @param manifest A parsed manifest.
 * @returns `true` for schema 1.
 *
 * @example
 * ```ts
 * import { isSchema1Manifest } from "jsr:@scope/docker-registry-client";
 *
 * console.log(isSchema1Manifest({ schemaVersion: 2, manifests: [] })); // false
 * ```
 */
export function isSchema1Manifest(
  manifest: Manifest,
): manifest is Schema1Manifest {
  return manifest.schemaVersion === 1;
}
