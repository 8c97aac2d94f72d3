/**
 * Building and changing images: layers from files ({@linkcode pushLayer}),
 * adding them to images ({@linkcode append}), changing configs
 * ({@linkcode mutate}), squashing an image into one layer
 * ({@linkcode flatten}), writing its merged filesystem as a tar
 * ({@linkcode exportFilesystem}), indexes, tags and validation.
 *
 * @example Push a directory as a layer
 * ```ts
 * import { MemoryStore, pushLayer } from "jsr:@scope/docker-registry-client";
 *
 * const { descriptor, diffId } = await pushLayer(new MemoryStore(), "./dist");
 * console.log(descriptor.digest, diffId);
 * ```
 *
 * @module
 */

export * from "./layer.ts";
export * from "./flatten.ts";
export * from "./export.ts";
export * from "./types.ts";
export * from "./append.ts";
export * from "./mutate.ts";
export * from "./index_ops.ts";
export * from "./tag.ts";
export * from "./validate.ts";
