/**
 * Pulling an image from a registry into an OCI image layout on disk.
 *
 * @example
 * ```ts
 * import { pullImage } from "jsr:@scope/docker-registry-client";
 *
 * const result = await pullImage("http://127.0.0.1:5000/foo:1", "./foo-oci", { platform: "linux/amd64" });
 * console.log(result.digest, result.bytesTransferred);
 * ```
 *
 * @module
 */

import type { RegistryClientV2 } from "../registry/client.ts";
import { RegistryStore } from "../registry/store.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import { clientOptionsOf, splitLayoutRef, toClient } from "./_clients.ts";
import {
  copy,
  type ImageTransferResult,
  type TransferOptions,
} from "../content/copy.ts";
import type { ImageClientOptions } from "./types.ts";

/** Options of {@linkcode pullImage}: the transfer, and how to reach the registry. */
export interface PullOptions extends TransferOptions, ImageClientOptions {
  /**
   * The tag the image gets in the layout (its `ref.name` annotation). By
   * default the `:TAG` ending `layoutDir`, else the reference's tag; a
   * reference by digest alone gives an untagged entry. When given,
   * `layoutDir` is taken as it is (no `:TAG` is split off).
   */
  tag?: string;
  /**
   * Hash blobs already in the layout before skipping them (once each, at
   * disk speed); a blob that does not match is downloaded again. `false`
   * trusts any file of the right name and size.
   * @default {true}
   */
  verifyExisting?: boolean;
}

/**
 * Pulls an image into an OCI image layout (`oci-layout`, `index.json`,
 * `blobs/`), created when missing; skopeo, crane and oras read it
 * (`skopeo copy oci:DIR:TAG …`). The layout is only opened (or created) once
 * the image has been found, at its first write: a pull of a missing image
 * leaves no directory behind. The manifests keep their exact bytes, so
 * their digests are unchanged; every blob is verified while it streams and
 * written through a temporary file; blobs the layout already has are not
 * downloaded again. An index is pulled whole, or, with `platform`, only that
 * platform's manifest is pulled and tagged. Referrers (signatures, SBOMs)
 * come along with `referrers: true`, as untagged `index.json` entries.
 *
 * @param ref The image: `http://127.0.0.1:5000/foo:1`, `quay.io/a/b@sha256:…`,
 * or a client from `createClient` (its reference names the image).
 * @param layoutDir The layout directory, optionally with `:TAG`.
 * @param options Platform, concurrency, referrers, progress, credentials.
 * @returns The digest pulled and what was transferred.
 * @throws {NotFoundError} When the image is not there.
 * @throws {RegistryError} When no manifest matches the platform, or on any registry failure.
 * @throws {DigestMismatchError} When content does not match its digest.
 * @throws {OciLayoutError} When the directory holds something else than a layout.
 *
 * @example Pull one platform with progress
 * ```ts
 * import { pullImage } from "jsr:@scope/docker-registry-client";
 *
 * await pullImage("http://127.0.0.1:5000/foo:1", "./foo-oci", {
 *   platform: "linux/arm64",
 *   onProgress: (e) => e.type === "blob-done" && console.log(e.descriptor.digest, e.action),
 * });
 * ```
 */
export async function pullImage(
  ref: string | RegistryClientV2,
  layoutDir: string,
  options: PullOptions = {},
): Promise<ImageTransferResult> {
  const client = toClient(ref, clientOptionsOf(options));
  const { dir, tag } = options.tag !== undefined
    ? { dir: layoutDir, tag: options.tag }
    : splitLayoutRef(layoutDir);
  const layout = await OciLayout.open(dir, {
    create: "on-write",
    verifyExisting: options.verifyExisting ?? true,
  });
  const wanted = tag ?? client.repo.tag;
  return await copy(new RegistryStore(client), layout, {
    ...options,
    reference: undefined,
    tag: wanted,
  });
}
