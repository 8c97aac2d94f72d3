/**
 * Options and results shared by {@linkcode pullImage}, {@linkcode pushImage}
 * and {@linkcode copyImage}.
 *
 * @example
 * ```ts
 * import { copyImage, type TransferOptions } from "jsr:@scope/docker-registry-client";
 *
 * const options: TransferOptions = { platform: "linux/amd64", concurrency: 8 };
 * const result = await copyImage("http://127.0.0.1:5000/a:1", "http://127.0.0.1:5000/b:1", options);
 * console.log(result.digest, result.blobsCopied);
 * ```
 *
 * @module
 */

import type { ClientOptions } from "../registry/client.ts";
import type { PlatformSpec } from "../ref/platform.ts";
import type { ImageProgressEvent } from "./progress.ts";

/** How to reach a registry: every {@linkcode ClientOptions} field but `repo`. */
export type ImageClientOptions = Omit<ClientOptions, "repo">;

/** What the image operations share. */
export interface TransferOptions {
  /**
   * When the source is an index (multi-platform): `"all"` copies the whole
   * index, every platform; a platform (`"linux/amd64"`, `"linux/arm64/v8"`,
   * or a {@linkcode PlatformSpec}) copies only that platform's manifest,
   * which then stands alone at the destination (the index is not copied),
   * as `crane copy --platform` does. A single-platform source is copied as
   * it is.
   * @default {"all"}
   */
  platform?: string | PlatformSpec;
  /**
   * How many blobs are transferred at once.
   * @default {4}
   */
  concurrency?: number;
  /**
   * Also copy the manifests that refer to the copied ones (OCI 1.1
   * `subject`: signatures, SBOMs, attestations), and theirs in turn.
   * @default {false}
   */
  referrers?: boolean;
  /** Called with every progress event, synchronously. */
  onProgress?: (event: ImageProgressEvent) => void;
  /** Cancels the operation. */
  signal?: AbortSignal;
}

/** What an image operation did. */
export interface ImageTransferResult {
  /** The digest of the manifest written at the destination (the root). */
  digest: string;
  /** Its media type. */
  mediaType: string;
  /** Its size in bytes. */
  size: number;
  /** The tag it was written under, if any. */
  tag?: string;
  /** The platform chosen from an index, when a platform was asked for. */
  platform?: string;
  /** Where it went: a reference, or `DIR:TAG` for a layout. */
  destination: string;
  /** Manifests in the graph (indexes, image manifests, referrers). */
  manifests: number;
  /** Referrers among them. */
  referrers: number;
  /** Distinct blobs in the graph. */
  blobs: number;
  /** Blobs transferred. */
  blobsCopied: number;
  /** Blobs mounted from another repository of the same registry. */
  blobsMounted: number;
  /** Blobs the destination already had. */
  blobsExisting: number;
  /** The sum of the blobs' sizes. */
  bytes: number;
  /** Bytes actually transferred. */
  bytesTransferred: number;
  /** The most blob transfers that were in flight at once. */
  maxBlobsActive: number;
  /** Wall-clock time, in seconds. */
  seconds: number;
}
