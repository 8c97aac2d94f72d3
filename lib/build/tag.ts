/**
 * Tagging: {@linkcode tagImage} points more tags at a manifest a store
 * already holds. No blob moves: a registry gets one manifest `PUT` per tag.
 *
 * @example
 * ```ts
 * import { RegistryStore, tagImage } from "jsr:@scope/docker-registry-client";
 *
 * const store = new RegistryStore("http://127.0.0.1:5000/app:1.2.3", { access: "push" });
 * await tagImage(store, ["1.2", "1", "latest"]);
 * ```
 *
 * @module
 */

import type { ImageStore } from "../content/store.ts";
import type { Descriptor } from "../ref/media_types.ts";
import { isValidTag } from "../ref/reference.ts";

/** Options of {@linkcode tagImage}. */
export interface TagImageOptions {
  /** The manifest's tag or digest; by default the store's reference. */
  reference?: string;
  /** Cancels the operation. */
  signal?: AbortSignal;
}

/** What {@linkcode tagImage} did. */
export interface TagImageResult {
  /** The manifest tagged. */
  descriptor: Descriptor;
  /** The tags it now has (those given). */
  tags: string[];
}

/**
 * Adds tags to a manifest the store holds (an image or an index), without
 * moving any blob: `store.tag()` for each tag.
 *
 * @param store The store holding the manifest.
 * @param tags The new tags.
 * @param options The manifest's reference, cancellation.
 * @returns The manifest's descriptor and the tags.
 * @throws {TypeError} When no tag is given or a tag is not a valid tag.
 * @throws {NotFoundError} (registry) or {StoreError} (others) when the manifest is not there.
 *
 * @example Tag by digest in an OCI layout
 * ```ts
 * import { OciLayout, tagImage } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./app-oci");
 * const { descriptor } = await tagImage(layout, ["stable"], { reference: "1.0" });
 * console.log(descriptor.digest);
 * ```
 */
export async function tagImage(
  store: ImageStore,
  tags: string[],
  options: TagImageOptions = {},
): Promise<TagImageResult> {
  if (!Array.isArray(tags) || tags.length === 0) {
    throw new TypeError("Cannot tag: no tag given");
  }
  for (const tag of tags) {
    if (!isValidTag(tag)) {
      throw new TypeError(
        `Invalid tag "${
          String(tag).slice(0, 140)
        }": up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`,
      );
    }
  }
  const { signal } = options;
  const found = await store.resolve(options.reference, { signal });
  for (const tag of tags) await store.tag(found, tag, { signal });
  const descriptor: Descriptor = {
    mediaType: found.mediaType,
    digest: found.digest,
    size: found.size,
  };
  return { descriptor, tags: [...tags] };
}
