/**
 * Pushing an image from an OCI image layout on disk to a registry.
 *
 * @example
 * ```ts
 * import { pushImage } from "jsr:@scope/docker-registry-client";
 *
 * const result = await pushImage("./foo-oci:1", "http://127.0.0.1:5000/foo:1");
 * console.log(result.digest, result.blobsCopied, result.blobsExisting);
 * ```
 *
 * @module
 */

import type { RegistryClientV2 } from "../registry/client.ts";
import { RegistryStore } from "../registry/store.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import { clientOptionsOf, splitLayoutRef, toPushClient } from "./_clients.ts";
import {
  copy,
  type ImageTransferResult,
  type TransferOptions,
} from "../content/copy.ts";
import type { ImageClientOptions } from "./types.ts";

/** Options of {@linkcode pushImage}: the transfer, and how to reach the registry. */
export interface PushOptions extends TransferOptions, ImageClientOptions {
  /**
   * Which image of the layout to push: its tag (`ref.name`) or its digest.
   * By default the `:TAG` ending `layoutDir`, else the layout's only image.
   * When given, `layoutDir` is taken as it is.
   */
  tag?: string;
}

/**
 * Pushes an image from an OCI image layout (one written by
 * {@linkcode pullImage}, skopeo, crane, buildah, oras …) to a registry.
 * Blobs the registry already has are skipped; the others are streamed from
 * disk (verified while read) a few at a time; the manifests are pushed with
 * their exact bytes, children first, the root under the reference's tag (or
 * by digest). With `referrers: true`, the layout's manifests whose `subject`
 * is a pushed manifest are pushed too.
 *
 * @param layoutDir The layout directory, optionally with `:TAG`.
 * @param ref Where to: `http://127.0.0.1:5000/foo:1`, or a client from
 * `createClient` (its reference's tag is used).
 * @param options Which image, platform, concurrency, progress, credentials.
 * @returns The digest pushed and what was transferred.
 * @throws {OciLayoutError} When the directory is not a layout or lacks the tag.
 * @throws {DigestMismatchError} When a blob on disk does not match its digest.
 * @throws {RegistryError} On any registry failure.
 *
 * @example Push with credentials
 * ```ts
 * import { pushImage } from "jsr:@scope/docker-registry-client";
 *
 * await pushImage("./foo-oci:1", "registry.example.com/team/foo:1", {
 *   username: "me",
 *   password: Deno.env.get("REGISTRY_PASSWORD"),
 * });
 * ```
 */
export async function pushImage(
  layoutDir: string,
  ref: string | RegistryClientV2,
  options: PushOptions = {},
): Promise<ImageTransferResult> {
  const client = toPushClient(ref, clientOptionsOf(options));
  const { dir, tag } = options.tag !== undefined
    ? { dir: layoutDir, tag: options.tag }
    : splitLayoutRef(layoutDir);
  const layout = await OciLayout.open(dir);
  return await copy(layout, new RegistryStore(client), {
    ...options,
    reference: tag,
    tag: undefined,
  });
}
