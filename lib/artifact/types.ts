/**
 * What artifacts are made of, as the OCI image spec 1.1 guidance and oras
 * write them: the annotations that name files and mark packed directories,
 * the empty JSON descriptor used as config (and as the one layer of an
 * artifact without files), and the default media types.
 *
 * @example
 * ```ts
 * import { ARTIFACT_ANNOTATION, EMPTY_JSON_DESCRIPTOR } from "jsr:@scope/docker-registry-client";
 *
 * console.log(ARTIFACT_ANNOTATION.TITLE, EMPTY_JSON_DESCRIPTOR.digest);
 * ```
 *
 * @module
 */

import { type Descriptor, MEDIA_TYPE } from "../ref/media_types.ts";

/**
 * The annotations artifacts use.
 *
 * @example
 * ```ts
 * import { ARTIFACT_ANNOTATION } from "jsr:@scope/docker-registry-client";
 *
 * console.log(ARTIFACT_ANNOTATION.TITLE); // org.opencontainers.image.title
 * ```
 */
export const ARTIFACT_ANNOTATION = {
  /** A layer's file name (the path it is written to on pull). */
  TITLE: "org.opencontainers.image.title",
  /** When the manifest was made (RFC 3339), as oras adds it. */
  CREATED: "org.opencontainers.image.created",
  /** oras: `"true"` on a layer that is a packed directory (tar+gzip) to unpack. */
  UNPACK: "io.deis.oras.content.unpack",
  /** oras: the digest of a packed directory's tar before compression. */
  CONTENT_DIGEST: "io.deis.oras.content.digest",
} as const;

/** One of the annotation keys of {@linkcode ARTIFACT_ANNOTATION}. */
export type ArtifactAnnotation =
  typeof ARTIFACT_ANNOTATION[keyof typeof ARTIFACT_ANNOTATION];

/**
 * The bytes of the empty JSON blob (`{}`).
 *
 * @example
 * ```ts
 * import { EMPTY_JSON_BYTES } from "jsr:@scope/docker-registry-client";
 *
 * console.log(new TextDecoder().decode(EMPTY_JSON_BYTES)); // {}
 * ```
 */
export const EMPTY_JSON_BYTES: Uint8Array = new Uint8Array([0x7b, 0x7d]);

/**
 * The empty JSON descriptor of the OCI image spec 1.1: the config of an
 * artifact that has none (and its one layer when it has no files), with its
 * content embedded (`data`), as oras writes it.
 *
 * @example
 * ```ts
 * import { EMPTY_JSON_DESCRIPTOR } from "jsr:@scope/docker-registry-client";
 *
 * console.log(EMPTY_JSON_DESCRIPTOR.mediaType); // application/vnd.oci.empty.v1+json
 * ```
 */
export const EMPTY_JSON_DESCRIPTOR: Readonly<Descriptor> = Object.freeze({
  mediaType: MEDIA_TYPE.OCI_EMPTY,
  digest:
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
  data: "e30=",
});

/**
 * The media types an artifact's parts get when none is given, as oras
 * chooses them.
 *
 * @example
 * ```ts
 * import { ARTIFACT_MEDIA_TYPE } from "jsr:@scope/docker-registry-client";
 *
 * console.log(ARTIFACT_MEDIA_TYPE.FILE); // application/vnd.oci.image.layer.v1.tar
 * ```
 */
export const ARTIFACT_MEDIA_TYPE = {
  /** A file's layer. */
  FILE: MEDIA_TYPE.OCI_LAYER,
  /** A packed directory's layer (tar+gzip). */
  DIRECTORY: MEDIA_TYPE.OCI_LAYER_GZIP,
  /** A config file given without a media type. */
  CONFIG: "application/vnd.unknown.config.v1+json",
} as const;
